"""The ``file`` volume driver: every volume is a thin qcow2 file made with
``qemu-img``, attached to guests by the QEMU compute driver (QMP hot-plug).

Files in ``state_path`` (``[volume] data_path``, default ``<data_dir>/volumes``)::

    volume-<id>.qcow2      a volume (thin; may have a snapshot as backing file)
    snapshot-<id>.qcow2    a snapshot: a standalone, thin copy of the volume
    snapshot-<id>.deleted  the snapshot was deleted while volumes still read
                           through it: its file stays until the last such
                           volume is gone (then both files go)
    .tmp-*                 work in progress; renamed into place when complete,
                           removed by ``cleanup_orphans`` after a crash

The model is upstream's file based drivers (cinder's remotefs/NFS family):
qcow2 files, snapshots as files beside the volume, volumes from snapshots as
qcow2 overlays whose backing file is the snapshot (instant and thin), and a
snapshot that still backs volumes is never removed from under them.  Choices:

* snapshots are *copies* (``qemu-img convert``, only allocated clusters), not
  a new active layer on the volume: the volume's file never changes name, so a
  guest that has it attached is undisturbed; a snapshot of an attached volume
  reads it with ``-U`` and is crash consistent;
* clones are full (thin) copies, so a clone never depends on its source;
* a volume from a snapshot is an overlay (backing file named relative to the
  directory, so the directory may move);
* data is written as a plain ``qemu-img convert`` writes it (through the page
  cache, no fsync of the data; the rename is fsynced): a crash of onestack
  loses nothing, a power loss just after a creation may lose that volume's data;
* growing an attached volume is QEMU's job (``block_resize`` through compute):
  ``qemu-img resize`` cannot open a file a guest holds, so
  ``extend_attached_in_hypervisor`` tells the manager to skip the driver then.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from onestack.volume.drivers import file_qemu_img as qimg
from onestack.volume.drivers.base import (
    CHUNK_SIZE,
    GiB,
    VolumeDriver,
    VolumeDriverError,
    VolumeNotFound,
)

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
OUTPUT_FORMATS = {"raw": "raw", "qcow2": "qcow2", "vmdk": "vmdk", "vdi": "vdi", "vhd": "vpc", "vhdx": "vhdx"}


class FileDriver(VolumeDriver):
    storage_protocol = "file"
    online_extend = True
    #: an attached volume is grown by the hypervisor (QMP ``block_resize``), not
    #: by ``extend_volume``: the manager asks compute instead of the driver
    extend_attached_in_hypervisor = True

    def __init__(self, state_path: Path, **options: Any) -> None:
        super().__init__(state_path, **options)
        self.state_path.mkdir(parents=True, exist_ok=True)
        self.state_path = self.state_path.resolve()
        # guards "does this snapshot still back a volume" against concurrent deletes
        self._gc_lock = threading.Lock()

    # ---- names -------------------------------------------------------------------
    @staticmethod
    def _check(rid: str) -> str:
        if not isinstance(rid, str) or not _ID.fullmatch(rid):
            raise VolumeNotFound(f"bad id {rid!r}")
        return rid

    def volume_path(self, volume_id: str) -> Path:
        return self.state_path / f"volume-{self._check(volume_id)}.qcow2"

    def snapshot_path(self, snapshot_id: str) -> Path:
        return self.state_path / f"snapshot-{self._check(snapshot_id)}.qcow2"

    def _tombstone(self, snapshot_id: str) -> Path:
        return self.state_path / f"snapshot-{self._check(snapshot_id)}.deleted"

    def _tmp(self, final: Path) -> Path:
        return self.state_path / f".tmp-{final.stem}-{secrets.token_hex(4)}{final.suffix}"

    def _existing(self, volume_id: str) -> Path:
        path = self.volume_path(volume_id)
        if not path.exists():
            raise VolumeNotFound(f"volume {volume_id} not found on the backend")
        return path

    def _publish(self, tmp: Path, final: Path) -> None:
        """Move a complete file into place (atomic; never over an existing one)."""
        try:
            os.link(tmp, final)  # fails if ``final`` exists: no silent overwrite
        except FileExistsError:
            raise VolumeDriverError(f"{final.stem} already exists") from None
        finally:
            tmp.unlink(missing_ok=True)
        qimg.fsync_dir(self.state_path)

    @contextlib.contextmanager
    def _building(self, final: Path) -> Iterator[Path]:
        """A temp name to build ``final`` in; published on success, removed on error."""
        if final.exists():
            raise VolumeDriverError(f"{final.stem} already exists")
        tmp = self._tmp(final)
        try:
            yield tmp
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._publish(tmp, final)

    @staticmethod
    def _convert_into(fmt: str, src: Path, tmp: Path, size: int, force_share: bool = False) -> None:
        """``src`` into a new thin qcow2 of ``size`` bytes: made at its final size
        first, then filled (``convert -n --target-is-zero``: zero areas are skipped,
        and no ``qemu-img resize`` afterwards, which would flush the whole file)."""
        qimg.run(["qemu-img", "create", "-q", "-f", "qcow2", str(tmp), str(size)], timeout=120)
        qimg.run(["qemu-img", "convert", "-q", "-n", "--target-is-zero"] + (["-U"] if force_share else [])
                 + ["-f", fmt, "-O", "qcow2", str(src), str(tmp)])

    @staticmethod
    def _resize(path: Path, size_gb: int) -> None:
        qimg.run(["qemu-img", "resize", "-q", "-f", "qcow2", str(path), str(size_gb * GiB)], timeout=120)

    @staticmethod
    def _virtual_size(path: Path) -> int:
        return int(qimg.info(path, fmt="qcow2")["virtual-size"])

    # ---- volumes -------------------------------------------------------------------
    def create_volume(self, volume_id: str, size_gb: int) -> None:
        with self._building(self.volume_path(volume_id)) as tmp:
            qimg.run(["qemu-img", "create", "-q", "-f", "qcow2", str(tmp), str(size_gb * GiB)], timeout=120)

    def create_from_image(self, volume_id: str, size_gb: int, image_path: Path, disk_format: str) -> None:
        fmt, data = qimg.checked_source_info(Path(image_path), disk_format)
        vsize = int(data.get("virtual-size") or 0)
        if vsize > size_gb * GiB:
            raise VolumeDriverError(f"Image virtual size is {-(-vsize // GiB)}GB and doesn't fit in a volume "
                                    f"of size {size_gb}GB.")
        with self._building(self.volume_path(volume_id)) as tmp:
            self._convert_into(fmt, Path(image_path), tmp, size_gb * GiB)

    def create_from_snapshot(self, volume_id: str, snapshot_id: str, size_gb: int) -> None:
        snap = self.snapshot_path(snapshot_id)
        if not snap.exists() or self._tombstone(snapshot_id).exists():
            raise VolumeNotFound(f"snapshot {snapshot_id} not found on the backend")
        size = max(size_gb * GiB, self._virtual_size(snap))
        with self._building(self.volume_path(volume_id)) as tmp:
            # backing file named relative to the directory (qemu resolves it there)
            qimg.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", snap.name, "-F", "qcow2", str(tmp),
                      str(size)], timeout=120)

    def clone_volume(self, volume_id: str, src_volume_id: str, size_gb: int) -> None:
        src = self._existing(src_volume_id)
        size = max(size_gb * GiB, self._virtual_size(src))
        with self._building(self.volume_path(volume_id)) as tmp:
            self._convert_into("qcow2", src, tmp, size, force_share=True)

    def delete_volume(self, volume_id: str) -> None:
        path = self.volume_path(volume_id)
        backing = qimg.backing_name(path)
        path.unlink(missing_ok=True)
        if backing:
            self._collect(backing)

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        path = self._existing(volume_id)
        if new_size_gb * GiB < self._virtual_size(path):
            raise VolumeDriverError("a volume cannot shrink")
        try:
            self._resize(path, new_size_gb)
        except VolumeDriverError as e:
            if "lock" in str(e):
                raise VolumeDriverError("the volume is in use by a guest: its hypervisor must grow it") from e
            raise

    def volume_exists(self, volume_id: str) -> bool:
        try:
            return self.volume_path(volume_id).exists()
        except VolumeNotFound:
            return False

    def size_of(self, volume_id: str) -> int:
        return -(-self._virtual_size(self._existing(volume_id)) // GiB)

    # ---- snapshots -----------------------------------------------------------------
    def create_snapshot(self, snapshot_id: str, volume_id: str) -> None:
        src = self._existing(volume_id)
        with self._building(self.snapshot_path(snapshot_id)) as tmp:
            qimg.run(["qemu-img", "convert", "-q", "-U", "-f", "qcow2", "-O", "qcow2", str(src), str(tmp)])

    def delete_snapshot(self, snapshot_id: str) -> None:
        path = self.snapshot_path(snapshot_id)
        if not path.exists():
            self._tombstone(snapshot_id).unlink(missing_ok=True)
            return
        with self._gc_lock:
            if self._children(path.name):
                # volumes still read through it: hide it, keep the bytes
                self._tombstone(snapshot_id).touch()
                return
            path.unlink(missing_ok=True)
            self._tombstone(snapshot_id).unlink(missing_ok=True)

    def _children(self, snapshot_file: str) -> list[Path]:
        return [p for p in self.state_path.glob("volume-*.qcow2") if qimg.backing_name(p) == snapshot_file]

    def _collect(self, snapshot_file: str) -> None:
        """Remove a deleted snapshot once no volume reads through it."""
        m = re.fullmatch(r"snapshot-(.+)\.qcow2", snapshot_file)
        if not m or not _ID.fullmatch(m[1]):
            return
        with self._gc_lock:
            tomb = self._tombstone(m[1])
            if tomb.exists() and not self._children(snapshot_file):
                (self.state_path / snapshot_file).unlink(missing_ok=True)
                tomb.unlink(missing_ok=True)

    # ---- attachments -----------------------------------------------------------------
    def initialize_connection(self, volume_id: str, connector: dict[str, Any] | None) -> dict[str, Any]:
        path = self._existing(volume_id)
        return {"driver_volume_type": "file",
                "data": {"path": str(path), "format": "qcow2", "volume_id": volume_id, "access_mode": "rw"}}

    # ---- bytes -------------------------------------------------------------------------
    def export_to_image(self, volume_id: str, disk_format: str, dest: Path) -> None:
        fmt = OUTPUT_FORMATS.get(disk_format)
        if fmt is None:
            raise VolumeDriverError(f"Cannot write disk format {disk_format}; "
                                    f"use one of {', '.join(OUTPUT_FORMATS)}.")
        src = self._existing(volume_id)
        dest = Path(dest)
        part = dest.with_name(f".{dest.name}.part")
        try:
            qimg.run(["qemu-img", "convert", "-q", "-U", "-f", "qcow2", "-O", fmt, str(src), str(part)])
            os.replace(part, dest)
        finally:
            part.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _as_raw(self, src: Path) -> Iterator[Path]:
        """The volume as a sparse raw temp file (removed afterwards)."""
        tmp = self.state_path / f".tmp-raw-{secrets.token_hex(6)}.raw"
        try:
            qimg.run(["qemu-img", "convert", "-q", "-U", "-f", "qcow2", "-O", "raw", str(src), str(tmp)])
            yield tmp
        finally:
            tmp.unlink(missing_ok=True)

    def read_chunks(self, volume_id: str, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[int, bytes | None]]:
        src = self._existing(volume_id)
        with self._as_raw(src) as raw, open(raw, "rb") as f:
            total = os.fstat(f.fileno()).st_size
            for off in range(0, total, chunk_size):
                length = min(chunk_size, total - off)
                if not _has_data(f.fileno(), off, length):
                    yield off, None
                    continue
                f.seek(off)
                data = f.read(length)
                yield off, (None if data.count(0) == len(data) else data)

    def write_chunks(self, volume_id: str, chunks: Iterable[tuple[int, bytes]]) -> None:
        path = self._existing(volume_id)
        backing = qimg.backing_name(path)
        size = self._virtual_size(path)
        with self._as_raw(path) as raw:
            with open(raw, "r+b") as f:
                for off, data in chunks:
                    if off < 0 or off % 512 or off + len(data) > size:
                        raise VolumeDriverError("write outside the volume")
                    f.seek(off)
                    f.write(data)
            tmp = self._tmp(path)
            try:
                qimg.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(tmp)])
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        if backing:  # the volume is standalone now
            self._collect(backing)

    # ---- recovery and capacity -----------------------------------------------------------
    def _ids(self, prefix: str) -> set[str]:
        out = set()
        for p in self.state_path.glob(f"{prefix}-*.qcow2"):
            rid = p.name[len(prefix) + 1:-len(".qcow2")]
            if _ID.fullmatch(rid):
                out.add(rid)
        return out

    def list_volumes(self) -> set[str]:
        return self._ids("volume")

    def list_snapshots(self) -> set[str]:
        return {s for s in self._ids("snapshot") if not self._tombstone(s).exists()}

    def cleanup_orphans(self, known_volume_ids: set[str], known_snapshot_ids: set[str]) -> list[str]:
        removed: list[str] = []
        for p in self.state_path.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p.name)
        for vid in sorted(self.list_volumes() - set(known_volume_ids)):
            self.delete_volume(vid)
            removed.append(vid)
        for sid in sorted(self.list_snapshots() - set(known_snapshot_ids)):
            self.delete_snapshot(sid)
            removed.append(sid)
        # deleted snapshots whose last child went while we were down
        for tomb in self.state_path.glob("snapshot-*.deleted"):
            self._collect(tomb.stem + ".qcow2")
            if not tomb.exists():
                removed.append(tomb.stem[len("snapshot-"):])
        return removed

    def capacity(self) -> tuple[float, float]:
        usage = shutil.disk_usage(self.state_path)
        return round(usage.total / GiB, 2), round(usage.free / GiB, 2)


def _has_data(fd: int, offset: int, length: int) -> bool:
    """Whether a sparse file has any data in [offset, offset+length)."""
    try:
        nxt = os.lseek(fd, offset, os.SEEK_DATA)
    except OSError:  # ENXIO: only a hole from here to the end
        return False
    return nxt < offset + length
