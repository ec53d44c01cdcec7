"""The contract between the volume manager and a block storage backend.

The manager (``onestack.volume.manager``) owns the truth in the database and is
the only caller.  It never calls two methods concurrently for the same volume
or snapshot id, but calls for *different* ids may run at the same time from
several worker threads, so a driver must be thread safe across ids.  Methods
may block (they run in a background worker, not on the event loop).  Every
method either returns normally or raises ``VolumeDriverError``; the manager
turns the error into the resource's ``error``/``error_*`` status and keeps
``str(err)`` as the reason.

Identity: a volume is known to the driver only by its id (the Cinder volume
id, a UUID string), a snapshot by its snapshot id.  The driver must be able to
rediscover what it holds after a restart (``list_volumes``/``list_snapshots``)
so that the manager can reconcile the database with the backend.

Sizes are whole GiB.  Creation methods must be atomic as seen from
``list_volumes``: either the volume exists complete, or not at all (write to a
temporary name, then rename); a crash mid-way leaves only temporary debris
that ``cleanup_orphans`` removes.

Deletion is idempotent: deleting something that does not exist is not an
error.  The manager refuses to delete a volume that has snapshots, so a driver
may assume snapshots are deleted first; a *volume created from* a snapshot (or
a clone) must however stay readable after its source snapshot or volume is
deleted (copy, or keep hidden backing data alive until no child needs it).

Attachments: ``initialize_connection`` returns what a hypervisor needs to plug
the volume into a guest (Cinder's ``connection_info``); the manager stores it in
the attachment and hands it to compute.  For the ``file`` driver::

    {"driver_volume_type": "file",
     "data": {"path": "/abs/path/<volume id>.qcow2", "format": "qcow2"}}

``tests/volume/test_driver_contract.py`` is the executable form of this text;
every driver must pass it (parametrised over driver factories).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

GiB = 1024**3
# backups move data in chunks of this many bytes (a multiple of 512)
CHUNK_SIZE = 32 * 1024 * 1024


class VolumeDriverError(Exception):
    """Anything the driver could not do.  ``str(err)`` becomes the reason the
    user sees (kept short; no host paths if avoidable)."""


class VolumeNotFound(VolumeDriverError):
    """The driver holds no volume (or snapshot) with this id."""


class VolumeDriver(abc.ABC):
    """Constructed as ``Driver(state_path=Path, **options)``: ``state_path`` is
    the driver's own directory (``[volume] data_path``, default
    ``<data_dir>/volumes``), made if missing.  ``options`` may carry
    ``backend_name`` and anything driver specific."""

    #: the ``volume_backend_name`` / ``storage_protocol`` reported in pools
    storage_protocol: str = "file"
    #: True when ``extend_volume`` works while the volume is attached (the
    #: manager then also asks compute to resize the guest's view)
    online_extend: bool = True

    def __init__(self, state_path: Path, **options: Any) -> None:
        self.state_path = Path(state_path)
        self.options = options

    # ---- volumes ---------------------------------------------------------------
    @abc.abstractmethod
    def create_volume(self, volume_id: str, size_gb: int) -> None:
        """An empty (zero-filled, thin) volume of ``size_gb`` GiB."""

    @abc.abstractmethod
    def create_from_image(self, volume_id: str, size_gb: int, image_path: Path, disk_format: str) -> None:
        """A volume holding the image's disk: ``image_path`` is a local file the
        driver may only read; ``disk_format`` is Glance's (raw, qcow2, vmdk, vdi,
        vhd, vhdx, iso, ...).  The result is ``size_gb`` GiB (never smaller than
        the image's virtual size: raise ``VolumeDriverError`` if it does not fit)."""

    @abc.abstractmethod
    def create_from_snapshot(self, volume_id: str, snapshot_id: str, size_gb: int) -> None:
        """A new volume with the snapshot's contents, grown to ``size_gb``
        (>= the snapshot's size)."""

    @abc.abstractmethod
    def clone_volume(self, volume_id: str, src_volume_id: str, size_gb: int) -> None:
        """A new volume with ``src_volume_id``'s current contents, grown to
        ``size_gb`` (>= the source's size).  The source may be attached."""

    @abc.abstractmethod
    def delete_volume(self, volume_id: str) -> None:
        """Remove the volume; no error if it does not exist."""

    @abc.abstractmethod
    def extend_volume(self, volume_id: str, new_size_gb: int) -> None:
        """Grow the volume to ``new_size_gb`` (> current).  For an attached
        volume the manager calls this first and then asks compute to tell the
        guest (``block_resize``)."""

    @abc.abstractmethod
    def volume_exists(self, volume_id: str) -> bool:
        """True when a complete volume with this id exists."""

    # ---- snapshots -------------------------------------------------------------
    @abc.abstractmethod
    def create_snapshot(self, snapshot_id: str, volume_id: str) -> None:
        """A point-in-time copy of the volume (it may be attached: crash
        consistency is enough)."""

    @abc.abstractmethod
    def delete_snapshot(self, snapshot_id: str) -> None:
        """Remove the snapshot; no error if it does not exist.  Volumes created
        from it must stay intact."""

    # ---- attachments -----------------------------------------------------------
    @abc.abstractmethod
    def initialize_connection(self, volume_id: str, connector: dict[str, Any] | None) -> dict[str, Any]:
        """Make the volume reachable for the host in ``connector`` (Cinder's
        connector dict: ``host``, ``initiator``, ``multipath``... or None) and
        return ``connection_info``: ``{"driver_volume_type": ..., "data": {...}}``."""

    def terminate_connection(self, volume_id: str, connector: dict[str, Any] | None) -> None:
        """Undo ``initialize_connection`` for that host (default: nothing)."""
        return None

    # ---- bytes: images and backups ---------------------------------------------------
    @abc.abstractmethod
    def export_to_image(self, volume_id: str, disk_format: str, dest: Path) -> None:
        """Write the volume's contents to the file ``dest`` (the manager creates
        the directory and removes the file after use) in ``disk_format`` (raw or
        qcow2; raise ``VolumeDriverError`` for a format the driver cannot write)."""

    @abc.abstractmethod
    def read_chunks(self, volume_id: str, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[int, bytes | None]]:
        """The volume's raw (guest-visible) bytes as ``(offset, data)`` pairs in
        offset order, each ``chunk_size`` long (the last may be shorter), covering
        the whole size.  ``data`` may be None for a chunk the driver knows to be
        all zeros (a hole), which saves the backup from reading it."""

    @abc.abstractmethod
    def write_chunks(self, volume_id: str, chunks: Iterable[tuple[int, bytes]]) -> None:
        """Write raw bytes at the given offsets of an existing volume (restore
        from a backup).  Ranges not written keep their contents: the manager
        sends explicit zeros where a restore onto a used volume needs them, and
        skips holes when restoring onto a freshly created (zeroed) volume.
        Offsets are multiples of 512 and never beyond the volume's size."""

    # ---- recovery and capacity -------------------------------------------------------
    @abc.abstractmethod
    def list_volumes(self) -> set[str]:
        """Ids of every complete volume the driver holds."""

    @abc.abstractmethod
    def list_snapshots(self) -> set[str]:
        """Ids of every complete snapshot the driver holds."""

    @abc.abstractmethod
    def cleanup_orphans(self, known_volume_ids: set[str], known_snapshot_ids: set[str]) -> list[str]:
        """At start (and only then): remove every volume and snapshot not in the
        known sets, and any temporary debris of an interrupted operation.
        Returns what was removed (ids or file names), for the log."""

    @abc.abstractmethod
    def capacity(self) -> tuple[float, float]:
        """``(total_gb, free_gb)`` of the backend, for pools and scheduling."""

    def size_of(self, volume_id: str) -> int:
        """The volume's size in GiB as the backend sees it (for checks)."""
        raise NotImplementedError
