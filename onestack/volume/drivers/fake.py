"""The ``fake`` volume driver: volumes live in memory, for API-only use and tests.

Volumes are sparse: only chunks ever written hold bytes, so a "1 TiB" volume
costs nothing.  Everything is lost when the process ends (``cleanup_orphans``
then has nothing to do, and the manager's recovery treats unfinished work as
failed)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onestack.volume.drivers.base import (
    CHUNK_SIZE,
    GiB,
    VolumeDriver,
    VolumeDriverError,
    VolumeNotFound,
)

# a pretend backend of 1000 GiB (enough for every quota-limited test)
FAKE_CAPACITY_GB = 1000.0


@dataclass
class _Disk:
    size_gb: int
    # sparse bytes: offset -> data (never overlapping; written ranges only)
    data: dict[int, bytes] = field(default_factory=dict)

    def read(self, offset: int, length: int) -> bytes:
        out = bytearray(length)
        for off, buf in self.data.items():
            lo, hi = max(off, offset), min(off + len(buf), offset + length)
            if lo < hi:
                out[lo - offset:hi - offset] = buf[lo - off:hi - off]
        return bytes(out)

    def write(self, offset: int, buf: bytes) -> None:
        # split existing pieces so that pieces never overlap
        end = offset + len(buf)
        new: dict[int, bytes] = {}
        for off, old in self.data.items():
            oend = off + len(old)
            if oend <= offset or off >= end:
                new[off] = old
                continue
            if off < offset:
                new[off] = old[:offset - off]
            if oend > end:
                new[end] = old[end - off:]
        new[offset] = bytes(buf)
        self.data = new

    def copy(self) -> _Disk:
        return _Disk(self.size_gb, dict(self.data))


class FakeDriver(VolumeDriver):
    storage_protocol = "fake"

    def __init__(self, state_path: Path, **options: Any) -> None:
        super().__init__(state_path, **options)
        self._lock = threading.Lock()
        self._volumes: dict[str, _Disk] = {}
        self._snapshots: dict[str, _Disk] = {}
        # ids for which a test wants the next operation to fail
        self.fail_next: set[str] = set()
        self.connections: dict[str, list[dict[str, Any] | None]] = {}

    # ---- helpers -----------------------------------------------------------------
    def _maybe_fail(self, rid: str) -> None:
        if rid in self.fail_next:
            self.fail_next.discard(rid)
            raise VolumeDriverError(f"fake failure for {rid}")

    def _vol(self, volume_id: str) -> _Disk:
        try:
            return self._volumes[volume_id]
        except KeyError:
            raise VolumeNotFound(f"volume {volume_id} not found on the backend") from None

    def _add(self, volume_id: str, disk: _Disk) -> None:
        with self._lock:
            if volume_id in self._volumes:
                raise VolumeDriverError(f"volume {volume_id} already exists")
            self._volumes[volume_id] = disk

    # ---- volumes ---------------------------------------------------------------------
    def create_volume(self, volume_id: str, size_gb: int) -> None:
        self._maybe_fail(volume_id)
        self._add(volume_id, _Disk(size_gb))

    def create_from_image(self, volume_id: str, size_gb: int, image_path: Path, disk_format: str) -> None:
        self._maybe_fail(volume_id)
        size = Path(image_path).stat().st_size
        if size > size_gb * GiB:
            raise VolumeDriverError(
                f"Image virtual size is {-(-size // GiB)}GB and doesn't fit in a volume of size {size_gb}GB.")
        disk = _Disk(size_gb)
        with open(image_path, "rb") as f:  # fake: keep the file's bytes as they are
            off = 0
            while chunk := f.read(CHUNK_SIZE):
                disk.write(off, chunk)
                off += len(chunk)
        self._add(volume_id, disk)

    def create_from_snapshot(self, volume_id: str, snapshot_id: str, size_gb: int) -> None:
        self._maybe_fail(volume_id)
        try:
            snap = self._snapshots[snapshot_id]
        except KeyError:
            raise VolumeNotFound(f"snapshot {snapshot_id} not found on the backend") from None
        disk = snap.copy()
        disk.size_gb = max(size_gb, snap.size_gb)
        self._add(volume_id, disk)

    def clone_volume(self, volume_id: str, src_volume_id: str, size_gb: int) -> None:
        self._maybe_fail(volume_id)
        disk = self._vol(src_volume_id).copy()
        disk.size_gb = max(size_gb, disk.size_gb)
        self._add(volume_id, disk)

    def delete_volume(self, volume_id: str) -> None:
        self._maybe_fail(volume_id)
        with self._lock:
            self._volumes.pop(volume_id, None)
            self.connections.pop(volume_id, None)

    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        self._maybe_fail(volume_id)
        disk = self._vol(volume_id)
        if new_size_gb < disk.size_gb:
            raise VolumeDriverError("a volume cannot shrink")
        disk.size_gb = new_size_gb

    def volume_exists(self, volume_id: str) -> bool:
        return volume_id in self._volumes

    def size_of(self, volume_id: str) -> int:
        return self._vol(volume_id).size_gb

    # ---- snapshots -----------------------------------------------------------------------
    def create_snapshot(self, snapshot_id: str, volume_id: str) -> None:
        self._maybe_fail(snapshot_id)
        disk = self._vol(volume_id).copy()
        with self._lock:
            self._snapshots[snapshot_id] = disk

    def delete_snapshot(self, snapshot_id: str) -> None:
        self._maybe_fail(snapshot_id)
        with self._lock:
            self._snapshots.pop(snapshot_id, None)

    # ---- attachments ------------------------------------------------------------------------
    def initialize_connection(self, volume_id: str, connector: dict[str, Any] | None) -> dict[str, Any]:
        self._vol(volume_id)
        with self._lock:
            self.connections.setdefault(volume_id, []).append(connector)
        return {"driver_volume_type": "fake", "data": {"volume_id": volume_id, "access_mode": "rw"}}

    def terminate_connection(self, volume_id: str, connector: dict[str, Any] | None) -> None:
        with self._lock:
            conns = self.connections.get(volume_id, [])
            if connector in conns:
                conns.remove(connector)

    # ---- bytes -------------------------------------------------------------------------------
    def export_to_image(self, volume_id: str, disk_format: str, dest: Path) -> None:
        if disk_format not in ("raw", "qcow2", "bare"):
            raise VolumeDriverError(f"cannot write disk format {disk_format}")
        disk = self._vol(volume_id)
        # fake: the written bytes, up to the last one (a sparse 1 GiB volume stays small)
        end = max((off + len(b) for off, b in disk.data.items()), default=0)
        with open(dest, "wb") as f:
            f.write(disk.read(0, end))

    def read_chunks(self, volume_id: str, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[int, bytes | None]]:
        disk = self._vol(volume_id)
        total = disk.size_gb * GiB
        for off in range(0, total, chunk_size):
            length = min(chunk_size, total - off)
            if any(o < off + length and o + len(b) > off for o, b in disk.data.items()):
                yield off, disk.read(off, length)
            else:
                yield off, None

    def write_chunks(self, volume_id: str, chunks: Iterable[tuple[int, bytes]]) -> None:
        disk = self._vol(volume_id)
        for off, data in chunks:
            if off + len(data) > disk.size_gb * GiB:
                raise VolumeDriverError("write beyond the end of the volume")
            if data.count(0) == len(data):
                # zeros: drop what was there instead of storing them
                disk.write(off, data)
                disk.data.pop(off, None)
            else:
                disk.write(off, data)

    # ---- recovery and capacity ---------------------------------------------------------------------
    def list_volumes(self) -> set[str]:
        return set(self._volumes)

    def list_snapshots(self) -> set[str]:
        return set(self._snapshots)

    def cleanup_orphans(self, known_volume_ids: set[str], known_snapshot_ids: set[str]) -> list[str]:
        removed = []
        with self._lock:
            for vid in list(self._volumes):
                if vid not in known_volume_ids:
                    del self._volumes[vid]
                    removed.append(vid)
            for sid in list(self._snapshots):
                if sid not in known_snapshot_ids:
                    del self._snapshots[sid]
                    removed.append(sid)
        return removed

    def capacity(self) -> tuple[float, float]:
        used = sum(d.size_gb for d in self._volumes.values())
        return FAKE_CAPACITY_GB, max(FAKE_CAPACITY_GB - used, 0.0)
