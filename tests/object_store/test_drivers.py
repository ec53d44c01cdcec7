"""The driver contract, run against the file driver and the in-memory fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from onestack.object_store.drivers import BlobStore, load


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    return load(request.param, tmp_path)


def test_write_publish_read(store: BlobStore) -> None:
    w = store.writer()
    w.write(b"hello ")
    w.write(b"world")
    w.finish()
    assert not store.exists("k1")
    w.publish("k1")
    assert store.size("k1") == 11
    assert b"".join(store.read("k1")) == b"hello world"
    assert b"".join(store.read("k1", 6, 3)) == b"wor"
    assert b"".join(store.read("k1", 6)) == b"world"
    w.abort()  # no-op after publish
    assert store.exists("k1")


def test_abort_leaves_nothing(store: BlobStore, tmp_path: Path) -> None:
    w = store.writer()
    w.write(b"x")
    w.abort()
    with pytest.raises(KeyError):
        store.read("nothing")
    if (tmp_path / "tmp").exists():
        assert list((tmp_path / "tmp").iterdir()) == []


def test_reads_are_chunked(store: BlobStore) -> None:
    w = store.writer()
    w.write(b"a" * (store.chunk_size * 3 + 5))
    w.publish("big")
    chunks = list(store.read("big"))
    assert max(len(c) for c in chunks) <= store.chunk_size
    assert sum(len(c) for c in chunks) == store.chunk_size * 3 + 5


def test_delete_is_idempotent(store: BlobStore) -> None:
    w = store.writer()
    w.write(b"x")
    w.publish("d")
    store.delete("d")
    store.delete("d")
    assert not store.exists("d")


# ---- recovery after a crash (file driver) ---------------------------------------------
def _crashed_store(root: Path) -> None:
    """A store that dies with one writer mid-upload and two published blobs."""
    from onestack.object_store.drivers.file import FileBlobStore

    s = FileBlobStore(root)
    for key in ("kept", "orphan"):
        w = s.writer()
        w.write(key.encode())
        w.publish(key)
    w = s.writer()
    w.write(b"half an upload")  # never published nor aborted
    w.f.close()  # type: ignore[attr-defined]
    s.close()  # the process is gone: its lock with it


def test_recover_removes_temp_files_and_orphans(tmp_path: Path) -> None:
    from onestack.object_store.drivers.file import FileBlobStore

    _crashed_store(tmp_path)
    assert len(list((tmp_path / "tmp").iterdir())) == 1
    s = FileBlobStore(tmp_path)
    r = s.recover(lambda: {"kept"})
    assert (r.ran, r.temp_files, r.orphans) == (True, 1, 1)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert s.exists("kept") and not s.exists("orphan")
    assert not s.recover(lambda: set()).ran  # once per start


def test_recover_does_nothing_while_another_user_lives(tmp_path: Path) -> None:
    from onestack.object_store.drivers.file import FileBlobStore

    _crashed_store(tmp_path)
    live = FileBlobStore(tmp_path)  # e.g. another uvicorn worker, mid-upload
    other = FileBlobStore(tmp_path)
    assert not other.recover(lambda: set()).ran
    assert len(list((tmp_path / "tmp").iterdir())) == 1
    assert other.exists("orphan")
    live.close()


def test_recover_keeps_blobs_when_references_are_unknown(tmp_path: Path) -> None:
    from onestack.object_store.drivers.file import FileBlobStore

    _crashed_store(tmp_path)

    def unknown() -> set[str]:
        raise LookupError("no tables yet")

    r = FileBlobStore(tmp_path).recover(unknown)
    assert (r.ran, r.temp_files, r.orphans) == (True, 1, 0)
    assert FileBlobStore(tmp_path).exists("orphan")


def test_memory_store_recover_is_a_no_op() -> None:
    assert not load("memory", Path("/nonexistent")).recover(lambda: set()).ran
