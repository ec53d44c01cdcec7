"""User data scripts the test guest runs (it executes user data that starts
with ``#!/bin/sh`` and prints each output line as ``onestack-guest: sh: ...``):
wait for the disk whose virtio serial is a volume's, then write or read a
marker on it, or time a sequential write."""

from __future__ import annotations

_FIND = """#!/bin/sh
want={serial}
i=0
dev=""
while [ $i -lt 1200 ] && [ -z "$dev" ]; do
  for b in /sys/block/vd*; do
    if [ "$(cat $b/serial 2>/dev/null)" = "$want" ]; then dev=/dev/${{b##*/}}; size=$(cat $b/size); fi
  done
  [ -n "$dev" ] || sleep 0.5
  i=$((i + 1))
done
[ -n "$dev" ] || {{ echo "NO-DISK $want"; exit 1; }}
echo "DISK $dev $size sectors serial=$want"
"""


def write_marker(serial: str, marker: str) -> bytes:
    """Find the disk, write ``marker`` in its first sector, flush."""
    return (_FIND.format(serial=serial) + f"""echo "{marker}" | dd of=$dev bs=512 count=1 conv=sync,fsync 2>/dev/null
sync
echo "WROTE {marker}"
""").encode()


def read_marker(serial: str) -> bytes:
    """Find the disk and print its first line."""
    return (_FIND.format(serial=serial) + """echo "READ $(dd if=$dev bs=512 count=1 2>/dev/null | head -1)"
""").encode()


def timed_write(serial: str, mib: int) -> bytes:
    """Find the disk and write ``mib`` MiB of zeros to it sequentially, O_DIRECT
    where busybox has it; print the time in centiseconds (guest uptime)."""
    return (_FIND.format(serial=serial) + f"""t0=$(cut -d' ' -f1 /proc/uptime | tr -d .)
dd if=/dev/zero of=$dev bs=1M count={mib} conv=fsync 2>/dev/null
t1=$(cut -d' ' -f1 /proc/uptime | tr -d .)
echo "WRITE-DONE bytes=$(({mib} * 1048576)) centiseconds=$((t1 - t0))"
""").encode()


def root_disk_report() -> bytes:
    """Print the root disk's (vda) size and serial."""
    return b"""#!/bin/sh
echo "ROOT $(cat /sys/block/vda/size) sectors serial=$(cat /sys/block/vda/serial 2>/dev/null)"
"""


def watch_size(serial: str, seconds: int = 120) -> bytes:
    """Find the disk, then print its size each time it changes (for ``seconds``)."""
    return (_FIND.format(serial=serial) + f"""last=$size
n=0
while [ $n -lt {seconds * 5} ]; do
  now=$(cat /sys/block/${{dev##*/}}/size)
  [ "$now" != "$last" ] && echo "SIZE $now sectors" && last=$now
  sleep 0.2
  n=$((n + 1))
done
""").encode()
