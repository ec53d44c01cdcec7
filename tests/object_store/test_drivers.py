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
