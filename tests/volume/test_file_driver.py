"""The volume driver contract (``onestack/volume/drivers/base.py``) run on the
``fake`` and the ``file`` driver alike, plus what only the file driver has
(qcow2 files, backing chains, atomic creation, orphan cleanup).  The file
driver needs ``qemu-img``; without it those cases skip with the reason."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from onestack.volume.drivers import load
from onestack.volume.drivers.base import GiB, VolumeDriver, VolumeDriverError, VolumeNotFound

MiB = 1024**2
HAVE_QEMU_IMG = shutil.which("qemu-img") is not None


def _need_qemu_img() -> None:
    if not HAVE_QEMU_IMG:
        if os.environ.get("CI") == "true":
            pytest.fail("qemu-img missing (scripts/install-system-deps) [CI=true: not skipping]")
        pytest.skip("the file volume driver needs qemu-img (scripts/install-system-deps)")


def _fake(tmp_path: Path) -> VolumeDriver:
    return load("fake", tmp_path / "vols")


def _file(tmp_path: Path) -> VolumeDriver:
    _need_qemu_img()
    return load("file", tmp_path / "vols", backend_name="file")


FACTORIES: dict[str, Callable[[Path], VolumeDriver]] = {"fake": _fake, "file": _file}


@pytest.fixture(params=sorted(FACTORIES))
def drv(request: pytest.FixtureRequest, tmp_path: Path) -> VolumeDriver:
    return FACTORIES[request.param](tmp_path)


@pytest.fixture
def fdrv(tmp_path: Path) -> VolumeDriver:
    return _file(tmp_path)


def vid() -> str:
    return str(uuid.uuid4())


def read_all(d: VolumeDriver, volume_id: str, chunk: int = 4 * MiB) -> dict[int, bytes]:
    """The non-hole chunks of a volume."""
    return {off: data for off, data in d.read_chunks(volume_id, chunk) if data is not None}


def raw_image(tmp_path: Path, marker: bytes, size: int = 8 * MiB) -> Path:
    img = tmp_path / "image.raw"
    with open(img, "wb") as f:
        f.truncate(size)
        f.seek(MiB)
        f.write(marker)
    return img


# ---- the contract: both drivers --------------------------------------------------------
def test_create_list_size_delete(drv: VolumeDriver) -> None:
    v = vid()
    assert not drv.volume_exists(v)
    drv.create_volume(v, 1)
    assert drv.volume_exists(v)
    assert v in drv.list_volumes()
    assert drv.size_of(v) == 1
    # a new volume reads as zeros: every chunk a hole (or all-zero), covering 1 GiB
    chunks = list(drv.read_chunks(v, 256 * MiB))
    assert [off for off, _ in chunks] == [0, 256 * MiB, 512 * MiB, 768 * MiB]
    assert all(data is None or data.count(0) == len(data) for _, data in chunks)
    with pytest.raises(VolumeDriverError):
        drv.create_volume(v, 1)  # an existing id is never overwritten
    drv.delete_volume(v)
    assert not drv.volume_exists(v) and v not in drv.list_volumes()
    drv.delete_volume(v)  # idempotent


def test_write_read_extend(drv: VolumeDriver) -> None:
    v = vid()
    drv.create_volume(v, 1)
    drv.write_chunks(v, [(4 * MiB, b"marker-1" + b"\0" * 504), (512 * MiB, b"x" * 4096)])
    got = read_all(drv, v)
    assert got[4 * MiB].startswith(b"marker-1")
    assert got[512 * MiB][:4096] == b"x" * 4096
    assert set(got) == {4 * MiB, 512 * MiB}
    drv.extend_volume(v, 2)
    assert drv.size_of(v) == 2
    assert read_all(drv, v)[4 * MiB].startswith(b"marker-1")
    with pytest.raises(VolumeDriverError):
        drv.write_chunks(v, [(2 * GiB, b"\1" * 512)])  # beyond the end
    with pytest.raises(VolumeDriverError):
        drv.extend_volume(v, 1)  # no shrinking


def test_snapshot_is_point_in_time_and_children_outlive_it(drv: VolumeDriver) -> None:
    v, s, child, clone = vid(), vid(), vid(), vid()
    drv.create_volume(v, 1)
    drv.write_chunks(v, [(0, b"before" + b"\0" * 506)])
    drv.create_snapshot(s, v)
    assert s in drv.list_snapshots()
    drv.write_chunks(v, [(0, b"after!" + b"\0" * 506)])
    drv.create_from_snapshot(child, s, 2)
    assert drv.size_of(child) == 2
    assert read_all(drv, child)[0].startswith(b"before")
    drv.clone_volume(clone, v, 1)
    assert read_all(drv, clone)[0].startswith(b"after!")
    # the source snapshot and volume go; the child and the clone stay intact
    drv.delete_snapshot(s)
    assert s not in drv.list_snapshots()
    drv.delete_snapshot(s)  # idempotent
    drv.delete_volume(v)
    assert read_all(drv, child)[0].startswith(b"before")
    assert read_all(drv, clone)[0].startswith(b"after!")
    with pytest.raises(VolumeNotFound):
        drv.create_from_snapshot(vid(), s, 1)
    drv.delete_volume(child)
    drv.delete_volume(clone)
    assert drv.list_volumes() == set() and drv.list_snapshots() == set()


def test_from_image_and_export(drv: VolumeDriver, tmp_path: Path) -> None:
    v = vid()
    img = raw_image(tmp_path, b"IMAGE-MARKER")
    drv.create_from_image(v, 1, img, "raw")
    assert drv.size_of(v) == 1
    assert read_all(drv, v, MiB)[MiB].startswith(b"IMAGE-MARKER")
    out = tmp_path / "out.raw"
    drv.export_to_image(v, "raw", out)
    with open(out, "rb") as f:
        f.seek(MiB)
        assert f.read(12) == b"IMAGE-MARKER"
    big = tmp_path / "big.raw"
    with open(big, "wb") as f:
        f.truncate(GiB + 1)
    with pytest.raises(VolumeDriverError, match="doesn't fit"):
        drv.create_from_image(vid(), 1, big, "raw")


def test_connection_and_capacity(drv: VolumeDriver) -> None:
    v = vid()
    drv.create_volume(v, 1)
    info = drv.initialize_connection(v, {"host": "onestack"})
    assert info["driver_volume_type"] and isinstance(info["data"], dict)
    drv.terminate_connection(v, {"host": "onestack"})
    with pytest.raises(VolumeNotFound):
        drv.initialize_connection(vid(), None)
    total, free = drv.capacity()
    assert total >= free > 0


def test_cleanup_orphans_keeps_known(drv: VolumeDriver) -> None:
    keep, lose, snap_keep, snap_lose = vid(), vid(), vid(), vid()
    for v in (keep, lose):
        drv.create_volume(v, 1)
    drv.create_snapshot(snap_keep, keep)
    drv.create_snapshot(snap_lose, keep)
    removed = drv.cleanup_orphans({keep}, {snap_keep})
    assert lose in removed and snap_lose in removed
    assert drv.list_volumes() == {keep}
    assert drv.list_snapshots() == {snap_keep}


# ---- the file driver only ------------------------------------------------------------------
def test_file_layout_thin_qcow2_and_backing_chain(fdrv: VolumeDriver) -> None:
    from onestack.volume.drivers.file import FileDriver

    assert isinstance(fdrv, FileDriver)
    v, s, child = vid(), vid(), vid()
    fdrv.create_volume(v, 10)
    path = fdrv.volume_path(v)
    assert path.name == f"volume-{v}.qcow2"
    assert path.read_bytes()[:4] == b"QFI\xfb"
    assert path.stat().st_blocks * 512 < 2 * MiB  # thin: a 10 GiB volume takes almost nothing
    info = fdrv.initialize_connection(v, None)
    assert info == {"driver_volume_type": "file",
                    "data": {"path": str(path), "format": "qcow2", "volume_id": v, "access_mode": "rw"}}
    fdrv.create_snapshot(s, v)
    fdrv.create_from_snapshot(child, s, 10)
    out = subprocess.run(["qemu-img", "info", "--output=json", str(fdrv.volume_path(child))],
                         capture_output=True, text=True, check=True).stdout
    assert f'"backing-filename": "snapshot-{s}.qcow2"' in out  # relative: the directory may move
    # deleting the snapshot hides it but keeps the backing file while the child needs it
    fdrv.delete_snapshot(s)
    assert fdrv.snapshot_path(s).exists() and s not in fdrv.list_snapshots()
    fdrv.delete_volume(child)
    assert not fdrv.snapshot_path(s).exists()
    assert sorted(p.name for p in fdrv.state_path.iterdir()) == [f"volume-{v}.qcow2"]


def test_file_interrupted_creation_leaves_only_debris_cleanup_removes(fdrv: VolumeDriver, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from onestack.volume.drivers import file_qemu_img

    v = vid()
    real = file_qemu_img.run

    def crash_after_convert(args: list[str], timeout: float = 3600.0) -> str:
        out = real(args, timeout)
        if args[1] == "convert":
            raise KeyboardInterrupt  # as if the process died right after qemu-img wrote the file
        return out

    monkeypatch.setattr(file_qemu_img, "run", crash_after_convert)
    with pytest.raises(KeyboardInterrupt):
        fdrv.create_from_image(v, 1, raw_image(tmp_path, b"x"), "raw")
    monkeypatch.setattr(file_qemu_img, "run", real)
    assert not fdrv.volume_exists(v)  # never half a volume under the real name
    # a kill -9 leaves the temp file (no exception handler runs): simulate it
    (fdrv.state_path / f".tmp-volume-{v}-dead.qcow2").write_bytes(b"QFI\xfb")
    assert fdrv.list_volumes() == set()
    removed = fdrv.cleanup_orphans(set(), set())
    assert removed == [f".tmp-volume-{v}-dead.qcow2"]
    assert list(fdrv.state_path.iterdir()) == []


def test_file_refuses_images_with_backing_files(fdrv: VolumeDriver, tmp_path: Path) -> None:
    secret = tmp_path / "host-secret.raw"
    secret.write_bytes(b"secret" * 100)
    evil = tmp_path / "evil.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(secret), "-F", "raw", str(evil)],
                   check=True)
    with pytest.raises(VolumeDriverError, match="backing file"):
        fdrv.create_from_image(vid(), 1, evil, "qcow2")
    with pytest.raises(VolumeDriverError, match="not supported"):
        fdrv.create_from_image(vid(), 1, secret, "ova")
    assert fdrv.list_volumes() == set()


def test_file_qcow2_image_and_bad_ids(fdrv: VolumeDriver, tmp_path: Path) -> None:
    src = raw_image(tmp_path, b"QCOW-SOURCE")
    q = tmp_path / "img.qcow2"
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(src), str(q)], check=True)
    v = vid()
    fdrv.create_from_image(v, 1, q, "qcow2")
    assert read_all(fdrv, v, MiB)[MiB].startswith(b"QCOW-SOURCE")
    for bad in ("../x", "", ".hidden", "a/b"):
        with pytest.raises(VolumeNotFound):
            fdrv.create_volume(bad, 1)
        assert not fdrv.volume_exists(bad)


def test_file_concurrent_creates_and_deletes(fdrv: VolumeDriver) -> None:
    """Calls for different ids run at once (the manager's worker threads)."""
    import concurrent.futures

    snap_src = vid()
    fdrv.create_volume(snap_src, 1)
    snap = vid()
    fdrv.create_snapshot(snap, snap_src)

    def life(i: int) -> str:
        v = vid()
        if i % 2:
            fdrv.create_volume(v, 1)
        else:
            fdrv.create_from_snapshot(v, snap, 1)
        fdrv.extend_volume(v, 2)
        fdrv.delete_volume(v)
        return v

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        done = list(pool.map(life, range(32)))
    assert len(set(done)) == 32
    fdrv.delete_snapshot(snap)
    fdrv.delete_volume(snap_src)
    assert list(fdrv.state_path.iterdir()) == []
