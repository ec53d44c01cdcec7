"""The byte-store contract (drivers/base.py), kept by the file and in-memory drivers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onestack.image.drivers import ImageStore, load


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ImageStore]:
    yield load(request.param, tmp_path / "images")


def _write(store: ImageStore, key: str, parts: list[bytes]) -> None:
    w = store.writer()
    for p in parts:
        w.write(p)
    w.finish()
    w.publish(key)


def test_invisible_until_published(store: ImageStore) -> None:
    w = store.writer()
    w.write(b"abc")
    w.finish()
    assert not store.exists("k1")
    with pytest.raises(KeyError):
        store.read("k1")
    w.publish("k1")
    assert store.size("k1") == 3 and b"".join(store.read("k1")) == b"abc"
    w.abort()  # a no-op after publish
    assert store.exists("k1")


def test_abort_discards(store: ImageStore, tmp_path: Path) -> None:
    w = store.writer()
    w.write(b"x" * 1000)
    w.abort()
    w.abort()
    assert not store.exists("k")
    if (tmp_path / "images" / ".tmp").exists():
        assert list((tmp_path / "images" / ".tmp").iterdir()) == []


def test_ranges_and_chunks(store: ImageStore) -> None:
    data = bytes(range(256)) * 1000
    _write(store, "blob", [data[:1000], data[1000:]])
    assert b"".join(store.read("blob")) == data
    assert b"".join(store.read("blob", 10, 20)) == data[10:30]
    assert b"".join(store.read("blob", len(data) - 5)) == data[-5:]
    assert all(len(c) <= store.chunk_size for c in store.read("blob"))


def test_replace_delete_local_path(store: ImageStore) -> None:
    _write(store, "k", [b"one"])
    _write(store, "k", [b"two!"])
    p = store.local_path("k")
    assert p.read_bytes() == b"two!"
    store.delete("k")
    store.delete("k")
    assert not store.exists("k")
    with pytest.raises(KeyError):
        store.local_path("k")
    with pytest.raises(KeyError):
        store.size("k")


@pytest.mark.parametrize("key", ["", "../x", ".hidden", "a/b"])
def test_file_driver_refuses_odd_keys(tmp_path: Path, key: str) -> None:
    store = load("file", tmp_path)
    with pytest.raises(KeyError):
        store.read(key)
