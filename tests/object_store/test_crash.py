"""Crash safety: ``kill -9`` a real server in the middle of 100 concurrent uploads
and overwrites, start it again on the same data directory, and check that

* every listed object reads back whole: MD5 of the bytes == listing hash == ETag,
  and the bytes are one complete version that some client sent for that name;
* every upload that got its 201 before the kill is listed;
* the container's and the account's count/bytes headers match the listing;
* nothing is left in the store's ``tmp/``, and no blob file is unreferenced
  (the recovery at start removed the crashed writers' files and orphans).
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

from tests.object_store.realserver import Serve, md5, store_files

pytestmark = pytest.mark.compat

UPLOADS = 100
THREADS = 8
NAMES = 40  # so about 60 of the 100 uploads overwrite a name
SIZES = [0, 1, 100, 4096, 65536, 65537, 300_000, 1 << 20, (1 << 20) + 7, 3 << 20]
KILL_AFTER = 50  # completed uploads


def payload(name: str, version: int, size: int) -> bytes:
    head = f"{name}#{version}#".encode()
    body = (head * (size // len(head) + 1))[:size]
    return body


def put(srv: Serve, path: str, data: bytes, chunk: int = 256 * 1024,
        pause: float = 0.0) -> int:
    c = srv.conn()
    try:
        c.putrequest("PUT", srv.account + path)
        c.putheader("X-Auth-Token", srv.token)
        c.putheader("Content-Length", str(len(data)))
        c.putheader("Content-Type", "application/octet-stream")
        c.endheaders()
        for i in range(0, len(data), chunk):
            c.send(data[i:i + chunk])
            if pause:
                time.sleep(pause)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def test_kill_9_mid_upload_then_restart(tmp_path: Path) -> None:
    srv = Serve(tmp_path / "data").start()
    try:
        _run(srv)
    finally:
        srv.kill()


def _run(srv: Serve) -> None:
    t0 = time.monotonic()
    assert srv.request("PUT", "/crash")[0] == 201
    rnd = random.Random(6)
    jobs = [(f"obj-{rnd.randrange(NAMES):02d}", v, rnd.choice(SIZES)) for v in range(UPLOADS)]
    sent: dict[str, set[str]] = defaultdict(set)  # name -> md5 of every version tried
    acked: set[str] = set()
    statuses: list[int] = []
    done = 0
    lock = threading.Lock()
    it = iter(jobs)

    def worker() -> None:
        nonlocal done
        while True:
            with lock:
                job = next(it, None)
            if job is None:
                return
            name, version, size = job
            data = payload(name, version, size)
            with lock:
                sent[name].add(md5(data))
            try:
                status = put(srv, f"/crash/{name}", data, pause=0.002)
            except (OSError, http.client.HTTPException):
                return  # the server is gone
            with lock:
                statuses.append(status)
                if status == 201:
                    acked.add(name)
                done += 1

    # one upload that is certainly in flight at the kill: half its body sent
    stuck_sent = threading.Event()

    def stuck() -> None:
        c = srv.conn()
        try:
            c.putrequest("PUT", srv.account + "/crash/stuck")
            c.putheader("X-Auth-Token", srv.token)
            c.putheader("Content-Length", str(16 << 20))
            c.endheaders()
            c.send(b"s" * (8 << 20))
            stuck_sent.set()
            c.getresponse()
        except (OSError, http.client.HTTPException):
            pass
        finally:
            stuck_sent.set()
            c.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    threads.append(threading.Thread(target=stuck))
    for t in threads:
        t.start()
    tmp = srv.store_path / "tmp"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with lock:
            if done >= KILL_AFTER:
                break
        time.sleep(0.005)
    stuck_sent.wait(10)
    while not store_files(srv.store_path, "tmp") and time.monotonic() < deadline:
        time.sleep(0.01)  # the stuck upload's temp file
    srv.kill()
    for t in threads:
        t.join(30)
    with lock:
        finished = done
    assert 10 <= finished < UPLOADS, f"the kill was not mid-flight ({finished} done)"
    assert set(statuses) == {201}, f"uploads before the kill failed: {statuses}"
    assert store_files(srv.store_path, "tmp"), "no upload was in flight at the kill"
    # a crash between a blob's publish and its row's commit leaves an orphan blob
    # (and a crashed writer a temp file): plant one of each to be sure they go too
    orphan = srv.store_path / "objects" / "ff" / "ee" / ("ffee" + "0" * 28)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"orphan")
    (tmp / "w-planted").write_bytes(b"partial")

    srv.start()
    assert store_files(srv.store_path, "tmp") == [], "temporary files survived the restart"
    assert not orphan.exists(), "an unreferenced blob survived the restart"

    status, h, body = srv.request("GET", "/crash?format=json")
    assert status == 200
    listing = json.loads(body)
    names = {e["name"] for e in listing}
    assert acked <= names, f"acknowledged uploads lost: {sorted(acked - names)}"
    assert "stuck" not in names
    for e in listing:
        status, oh, data = srv.request("GET", f"/crash/{e['name']}")
        assert status == 200, e
        got = md5(data)
        assert len(data) == e["bytes"] == int(oh["content-length"]), e
        assert got == e["hash"] == oh["etag"].strip('"'), e
        assert got in sent[e["name"]], f"{e['name']}: bytes of no version any client sent"
    assert int(h["x-container-object-count"]) == len(listing)
    assert int(h["x-container-bytes-used"]) == sum(e["bytes"] for e in listing)
    status, ah, _ = srv.request("HEAD", "")
    assert int(ah["x-account-object-count"]) == len(listing)
    assert int(ah["x-account-bytes-used"]) == sum(e["bytes"] for e in listing)
    # one blob file per listed object: nothing unreferenced, nothing missing
    assert len(store_files(srv.store_path, "objects")) == len(listing)
    # and the restarted server takes writes
    assert put(srv, "/crash/after", b"after") == 201
    assert srv.request("GET", "/crash/after")[2] == b"after"
    assert time.monotonic() - t0 < 60
