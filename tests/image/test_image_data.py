"""Image bytes: streamed upload and download, hashes, Range, failures, import."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.conftest import CloudFixture
from tests.image.conftest import OCTET, Glance, Personas

MB = 1024 * 1024


def _blob(n: int) -> bytes:
    return os.urandom(n)


def _wait_status(g: Glance, image_id: str, want: set[str], timeout: float = 10) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while True:
        img = g.get(image_id).json()
        if img["status"] in want or time.monotonic() > end:
            return img  # type: ignore[no-any-return]
        time.sleep(0.02)


def _leftovers(cloud: CloudFixture) -> list[Path]:
    tmp = cloud.cloud.conf.data_path / "images" / ".tmp"
    return list(tmp.iterdir())


def test_upload_download_hashes(glance: Glance, cloud: CloudFixture) -> None:
    data = _blob(3 * MB + 123)
    img = glance.create(disk_format="raw", container_format="bare")
    r = glance.upload(img["id"], data)
    assert r.status_code == 204, r.text
    got = glance.get(img["id"]).json()
    assert got["status"] == "active" and got["size"] == len(data)
    assert got["checksum"] == hashlib.md5(data).hexdigest()
    assert got["os_hash_algo"] == "sha512" and got["os_hash_value"] == hashlib.sha512(data).hexdigest()
    r = glance("GET", f"/v2/images/{img['id']}/file")
    assert r.status_code == 200 and r.content == data
    assert r.headers["Content-MD5"] == got["checksum"]
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert int(r.headers["Content-Length"]) == len(data)
    # the bytes live under <data_dir>/images, nothing is left in the temp dir
    path = cloud.cloud.services["image"].data_path(img["id"])
    assert path.read_bytes() == data and str(path).startswith(str(cloud.cloud.conf.data_path / "images"))
    assert _leftovers(cloud) == []
    # an active image takes no second upload
    assert glance.upload(img["id"], b"again").status_code == 409


def test_hashing_algorithm_is_configurable(glance: Glance, cloud: CloudFixture) -> None:
    """As Glance's [DEFAULT] hashing_algorithm: os_hash_algo follows the setting, the
    MD5 checksum stays."""
    conf = cloud.cloud.conf.image
    data = _blob(MB + 7)
    conf.hashing_algorithm = "sha256"
    try:
        img = glance.create(disk_format="raw", container_format="bare")
        assert glance.upload(img["id"], data).status_code == 204
    finally:
        conf.hashing_algorithm = "sha512"
    got = glance.get(img["id"]).json()
    assert got["os_hash_algo"] == "sha256" and got["os_hash_value"] == hashlib.sha256(data).hexdigest()
    assert got["checksum"] == hashlib.md5(data).hexdigest()


def test_chunked_upload(glance: Glance) -> None:
    parts = [_blob(100_000) for _ in range(20)]

    def gen() -> Iterator[bytes]:
        yield from parts

    img = glance.create()
    r = glance("PUT", f"/v2/images/{img['id']}/file", content=gen(), headers=OCTET)
    assert r.status_code == 204, r.text
    assert glance.get(img["id"]).json()["size"] == 2_000_000


@pytest.mark.parametrize("rng,status,expect", [
    ("bytes=0-9", 206, slice(0, 10)),
    ("bytes=10-", 206, slice(10, None)),
    ("bytes=-5", 206, slice(-5, None)),
    ("bytes=90-1000", 206, slice(90, None)),
    ("bytes=0-0", 206, slice(0, 1)),
    ("bytes=0-1,5-6", 200, slice(None)),  # a multi-range is ignored, as upstream
    ("items=0-1", 200, slice(None)),
    ("bytes=100-", 416, None),
    ("bytes=500-600", 416, None),
])
def test_range(glance: Glance, rng: str, status: int, expect: slice | None) -> None:
    data = bytes(range(100))
    img = glance.create()
    glance.upload(img["id"], data)
    r = glance("GET", f"/v2/images/{img['id']}/file", headers={"Range": rng})
    assert r.status_code == status, r.text
    if expect is not None:
        assert r.content == data[expect]
    if status == 206:
        part = data[expect]
        first = data.index(part[0])
        assert r.headers["Content-Range"] == f"bytes {first}-{first + len(part) - 1}/100"
    if status == 416:
        assert r.headers["Content-Range"] == "bytes */100"


def test_download_without_data(glance: Glance) -> None:
    img = glance.create()
    r = glance("GET", f"/v2/images/{img['id']}/file")
    assert r.status_code == 204 and r.content == b""


def test_upload_media_type(glance: Glance) -> None:
    img = glance.create()
    r = glance("PUT", f"/v2/images/{img['id']}/file", content=b"x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert glance.get(img["id"]).json()["status"] == "queued"


def test_size_mismatch_leaves_image_queued(glance: Glance, cloud: CloudFixture) -> None:
    img = glance.create()
    r = glance("PUT", f"/v2/images/{img['id']}/file", content=b"short",
               headers={**OCTET, "Content-Length": "100"})
    assert r.status_code == 400
    got = glance.get(img["id"]).json()
    assert got["status"] == "queued" and got["size"] is None and got["checksum"] is None
    assert _leftovers(cloud) == []
    assert glance("GET", f"/v2/images/{img['id']}/file").status_code == 204
    # and the image takes a proper upload afterwards
    assert glance.upload(img["id"], b"complete").status_code == 204


def test_too_large_is_413_and_queued(glance: Glance, cloud: CloudFixture) -> None:
    conf = cloud.cloud.conf.image
    old = conf.max_image_size
    conf.max_image_size = 1000
    try:
        img = glance.create()
        assert glance.upload(img["id"], b"x" * 1001).status_code == 413
        assert glance.get(img["id"]).json()["status"] == "queued"
    finally:
        conf.max_image_size = old
    assert _leftovers(cloud) == []


def _asgi_put(cloud: CloudFixture, path: str, token: str, chunks: list[bytes], declared: int) -> int:
    """Send a request straight to the ASGI app, then disconnect half-way."""
    app = cloud.client.app
    sent: dict[str, Any] = {}

    async def go() -> None:
        messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
        messages.append({"type": "http.disconnect"})

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop(0)
            await anyio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(msg: dict[str, Any]) -> None:
            if msg["type"] == "http.response.start":
                sent["status"] = msg["status"]

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 1),
            "headers": [(b"host", b"testserver"), (b"x-auth-token", token.encode()),
                        (b"content-type", b"application/octet-stream"),
                        (b"content-length", str(declared).encode())],
        }
        await app(scope, receive, send)

    anyio.run(go)
    return int(sent.get("status", 0))


def test_client_disconnect_leaves_nothing(glance: Glance, cloud: CloudFixture) -> None:
    img = glance.create()
    assert glance.token
    status = _asgi_put(cloud, f"/image/v2/images/{img['id']}/file", glance.token,
                       [b"a" * 2 * MB, b"b" * 1000], 10 * MB)
    assert status == 400
    got = glance.get(img["id"]).json()
    assert got["status"] == "queued" and got["size"] is None
    assert _leftovers(cloud) == []
    assert not (cloud.cloud.conf.data_path / "images" / img["id"][:2] / img["id"]).exists()


def test_delete_removes_bytes(glance: Glance, cloud: CloudFixture) -> None:
    img = glance.create()
    glance.upload(img["id"], b"bytes")
    path = cloud.cloud.services["image"].data_path(img["id"])
    assert path.exists()
    assert glance("DELETE", f"/v2/images/{img['id']}").status_code == 204
    assert not path.exists()


# ---- interoperable import ----------------------------------------------------------------
def test_glance_direct_import(glance: Glance, cloud: CloudFixture) -> None:
    data = _blob(MB + 7)
    img = glance.create(disk_format="raw", container_format="bare")
    # import before staging is a conflict
    r = glance("POST", f"/v2/images/{img['id']}/import", json={"method": {"name": "glance-direct"}})
    assert r.status_code == 409
    r = glance("PUT", f"/v2/images/{img['id']}/stage", content=data, headers=OCTET)
    assert r.status_code == 204, r.text
    assert glance.get(img["id"]).json()["status"] == "uploading"
    assert glance("PUT", f"/v2/images/{img['id']}/stage", content=data, headers=OCTET).status_code == 409
    r = glance("POST", f"/v2/images/{img['id']}/import", json={"method": {"name": "glance-direct"}})
    assert r.status_code == 202, r.text
    got = _wait_status(glance, img["id"], {"active", "queued"})
    assert got["status"] == "active" and got["size"] == len(data)
    assert got["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert glance("GET", f"/v2/images/{img['id']}/file").content == data
    assert not (cloud.cloud.conf.data_path / "images" / img["id"][:2] / (img["id"] + ".stage")).exists()


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    payload = _blob(600_000)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/image.raw":
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    srv.payload = payload  # type: ignore[attr-defined]
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_web_download_import(glance: Glance, web: str) -> None:
    img = glance.create(disk_format="raw", container_format="bare")
    r = glance("POST", f"/v2/images/{img['id']}/import",
               json={"method": {"name": "web-download", "uri": web + "/image.raw"}})
    assert r.status_code == 202, r.text
    got = _wait_status(glance, img["id"], {"active", "queued"})
    assert got["status"] == "active" and got["size"] == 600_000
    body = glance("GET", f"/v2/images/{img['id']}/file").content
    assert hashlib.md5(body).hexdigest() == got["checksum"]


def test_web_download_failure_back_to_queued(glance: Glance, web: str) -> None:
    img = glance.create()
    r = glance("POST", f"/v2/images/{img['id']}/import",
               json={"method": {"name": "web-download", "uri": web + "/missing"}})
    assert r.status_code == 202
    time.sleep(0.05)
    got = _wait_status(glance, img["id"], {"active", "queued"})
    assert got["status"] == "queued" and "os_glance_failed_import" in got


@pytest.mark.parametrize("body", [
    {"method": {"name": "web-download", "uri": "ftp://example.com/x"}},
    {"method": {"name": "web-download", "uri": "file:///etc/passwd"}},
    {"method": {"name": "web-download"}},
    {"method": {"name": "copy-image"}},
    {"method": {"name": "nope"}},
    {"method": {"name": "glance-direct"}, "stores": ["elsewhere"]},
    {"method": "glance-direct"},
    {},
])
def test_import_rejects(glance: Glance, body: dict) -> None:
    img = glance.create()
    r = glance("POST", f"/v2/images/{img['id']}/import", json=body)
    assert r.status_code == 400, r.text


def test_web_download_port_filter(glance: Glance, cloud: CloudFixture, web: str) -> None:
    conf = cloud.cloud.conf.image
    conf.web_download_allowed_ports = [80, 443]
    try:
        img = glance.create()
        r = glance("POST", f"/v2/images/{img['id']}/import",
                   json={"method": {"name": "web-download", "uri": web + "/image.raw"}})
        assert r.status_code == 400
    finally:
        conf.web_download_allowed_ports = []


# ---- the interface compute uses ------------------------------------------------------------
def test_manager_interface(cloud: CloudFixture, who: Personas, tmp_path: Path) -> None:
    from onestack.core.errors import NotFound
    from onestack.image.manager import ImageManager

    mgr: ImageManager = cloud.cloud.services["image"]
    idm = cloud.cloud.identity
    ctx = idm.tokens.context_for(who.owner.token)
    img = mgr.create_image(ctx, {"name": "snap", "disk_format": "qcow2", "container_format": "bare",
                                 "image_type": "snapshot"})
    assert img["status"] == "queued" and img["owner"] == who.project_a
    src = tmp_path / "disk.qcow2"
    src.write_bytes(b"q" * 300_000)
    done = mgr.store_file(ctx, img["id"], src)
    assert done["status"] == "active" and done["size"] == 300_000
    assert done["checksum"] == hashlib.md5(src.read_bytes()).hexdigest()
    assert mgr.data_path(img["id"]).read_bytes() == src.read_bytes()
    assert mgr.get_image(ctx, img["id"])["image_type"] == "snapshot"
    other = idm.tokens.context_for(who.other.token)
    with pytest.raises(NotFound):
        mgr.get_image(other, img["id"])
    queued = mgr.create_image(ctx, {})
    with pytest.raises(NotFound):
        mgr.data_path(queued["id"])


def test_recover_stuck_images(cloud: CloudFixture, glance: Glance) -> None:
    from onestack.image.models import Image

    mgr = cloud.cloud.services["image"]
    img = glance.create()
    up = mgr.begin_upload(cloud.cloud.identity.tokens.context_for(glance.token), img["id"])
    up.write(b"partial")
    assert glance.get(img["id"]).json()["status"] == "saving"
    assert mgr.recover() == 0  # recent: perhaps another node's upload in flight
    with cloud.cloud.db.session() as s:
        s.get(Image, img["id"]).updated_at = s.get(Image, img["id"]).updated_at.replace(year=2000)
    assert mgr.recover() == 1
    assert glance.get(img["id"]).json()["status"] == "queued"
    up.writer.abort()
