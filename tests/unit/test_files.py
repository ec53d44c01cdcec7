"""The temporary-file writer of the byte stores: what is written is what is read back,
whatever the sizes of the pieces, with O_DIRECT for big files and without it."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from onestack.core.files import DIRECT_BLOCK, TempFileWriter

SIZES = [0, 1, 4095, DIRECT_BLOCK - 1, DIRECT_BLOCK, DIRECT_BLOCK + 1, 2 * DIRECT_BLOCK + 4096,
         3 * DIRECT_BLOCK + 12345]


def _pieces(data: bytes, rng: random.Random) -> list[bytes]:
    out, i = [], 0
    while i < len(data):
        n = rng.choice([1, 100, 4096, 65536, 1 << 20, DIRECT_BLOCK + 7, 3 * DIRECT_BLOCK])
        out.append(data[i:i + n])
        i += n
    return out


def _write(tmp: Path, dest: Path, pieces: list[bytes], direct: bool) -> TempFileWriter:
    w = TempFileWriter(tmp, writeback=True, direct=direct)
    for p in pieces:
        w.write(p)
    w.move_to(dest)
    return w


@pytest.mark.parametrize("size", SIZES)
def test_bytes_read_back_whole(tmp_path: Path, size: int) -> None:
    rng = random.Random(size)
    data = rng.randbytes(size)
    for direct in (True, False):
        dest = tmp_path / f"out-{direct}"
        _write(tmp_path, dest, _pieces(data, rng), direct)
        got = dest.read_bytes()
        assert len(got) == size and hashlib.md5(got).digest() == hashlib.md5(data).digest(), direct
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("w-")] == []


def test_big_file_bypasses_the_page_cache_where_the_filesystem_allows(tmp_path: Path) -> None:
    try:
        os.close(os.open(tmp_path / "probe", os.O_WRONLY | os.O_CREAT | os.O_DIRECT))
    except OSError as e:
        pytest.skip(f"the filesystem of {tmp_path} refuses O_DIRECT: {e}")
    data = os.urandom(3 * DIRECT_BLOCK + 100)
    w = TempFileWriter(tmp_path, direct=True)
    w.write(data)
    assert w._dfd is not None  # past the first block, the writer went direct
    w.move_to(tmp_path / "big")
    assert (tmp_path / "big").read_bytes() == data


def test_abort_leaves_nothing(tmp_path: Path) -> None:
    w = TempFileWriter(tmp_path, direct=True)
    w.write(os.urandom(2 * DIRECT_BLOCK + 5))
    w.abort()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm (tmpfs) on this machine")
def test_filesystem_without_o_direct_stays_buffered(tmp_path: Path) -> None:
    import tempfile

    with tempfile.TemporaryDirectory(dir="/dev/shm") as d:
        data = os.urandom(2 * DIRECT_BLOCK + 333)
        w = TempFileWriter(Path(d), direct=True)
        w.write(data[:DIRECT_BLOCK + 1])
        w.write(data[DIRECT_BLOCK + 1:])
        w.move_to(Path(d) / "x")
        assert (Path(d) / "x").read_bytes() == data
