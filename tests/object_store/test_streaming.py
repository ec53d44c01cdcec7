"""Streaming: a 256 MiB PUT and GET through a real server while its RSS is sampled.

If either direction buffered the body, the server would grow by ~256 MiB; a
streaming server grows by its chunk buffers only.  The bound (64 MiB) leaves room
for the allocator and thread stacks, far below one copy of the object.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.object_store.realserver import Serve, rss_bytes, store_files

pytestmark = pytest.mark.compat

SIZE = 256 << 20
CHUNK = 1 << 20
MAX_GROWTH = 64 << 20


def _chunk(i: int) -> bytes:
    return (i.to_bytes(4, "big") * (CHUNK // 4))


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.halt.set()
        self.join()
        self.peak = max(self.peak, rss_bytes(self.pid))


def test_256mib_put_and_get_stream(tmp_path: Path) -> None:
    srv = Serve(tmp_path / "data").start()
    try:
        assert srv.request("PUT", "/big")[0] == 201
        # warm up: first requests import and cache what every later one uses
        for _ in range(3):
            assert srv.request("PUT", "/big/warm", _chunk(0) * 4)[0] == 201
            assert len(srv.request("GET", "/big/warm")[2]) == 4 * CHUNK
        base = rss_bytes(srv.pid)
        want = hashlib.md5(usedforsecurity=False)

        with Sampler(srv.pid) as put_rss:
            c = srv.conn(120)
            c.putrequest("PUT", srv.account + "/big/object")
            c.putheader("X-Auth-Token", srv.token)
            c.putheader("Content-Length", str(SIZE))
            c.endheaders()
            for i in range(SIZE // CHUNK):
                data = _chunk(i)
                want.update(data)
                c.send(data)
            r = c.getresponse()
            r.read()
            c.close()
        assert r.status == 201
        assert r.getheader("ETag") == want.hexdigest()

        got = hashlib.md5(usedforsecurity=False)
        n = 0
        with Sampler(srv.pid) as get_rss:
            c = srv.conn(120)
            c.request("GET", srv.account + "/big/object", headers={"X-Auth-Token": srv.token})
            r = c.getresponse()
            assert r.status == 200
            while True:
                data = r.read(CHUNK)
                if not data:
                    break
                n += len(data)
                got.update(data)
            c.close()
        assert n == SIZE
        assert got.hexdigest() == want.hexdigest() == r.getheader("ETag")
        assert store_files(srv.store_path, "tmp") == []

        growth = {"PUT": put_rss.peak - base, "GET": get_rss.peak - base}
        assert max(growth.values()) < MAX_GROWTH, (
            f"server RSS grew by {({k: v >> 20 for k, v in growth.items()})} MiB "
            f"(base {base >> 20} MiB): a body was buffered")
    finally:
        srv.kill()


def test_client_leaving_mid_upload_stores_nothing_and_logs_no_error(tmp_path: Path) -> None:
    """A client that goes away after part of a big body: no object, no temporary file,
    no traceback in the log, and the server goes on serving."""
    srv = Serve(tmp_path / "data").start()
    try:
        assert srv.request("PUT", "/c")[0] == 201
        block = os.urandom(1 << 20)
        for cut in (3 << 20, 12 << 20):  # inside the first (buffered) block, and past it (O_DIRECT)
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(f"PUT {srv.account}/c/partial HTTP/1.1\r\nHost: t\r\nX-Auth-Token: {srv.token}\r\n"
                      f"Content-Length: {64 << 20}\r\n\r\n".encode())
            for _ in range(cut // len(block)):
                s.sendall(block)
            s.close()
            deadline = time.monotonic() + 10
            while store_files(srv.store_path, "tmp") and time.monotonic() < deadline:
                time.sleep(0.05)
            assert store_files(srv.store_path, "tmp") == []
            assert srv.request("HEAD", "/c/partial")[0] == 404
        assert srv.request("PUT", "/c/after", block * 5)[0] == 201
        assert srv.request("HEAD", "/c")[1]["x-container-object-count"] == "1"
        assert "Traceback" not in srv.output()
    finally:
        srv.kill()
