"""python-swiftclient against a real onestack server (uvicorn in a thread)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.object_store.conftest import Swift

swiftclient = pytest.importorskip("swiftclient")
uvicorn = pytest.importorskip("uvicorn")


@pytest.fixture(scope="module")
def base_url(swift: Swift) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    config = uvicorn.Config(swift.fx.cloud.asgi(), host="127.0.0.1", port=port, log_level="error",
                            lifespan="off")
    server = uvicorn.Server(config)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    t.join(5)


def test_swiftclient_roundtrip(swift: Swift, base_url: str) -> None:
    url = f"{base_url}/object-store/v1/AUTH_{swift.project_id}"
    conn = swiftclient.Connection(preauthurl=url, preauthtoken=swift.token, retries=0)
    conn.put_container("compat")
    etag = conn.put_object("compat", "a/b.txt", contents=b"swiftclient!", content_type="text/plain",
                           headers={"X-Object-Meta-Who": "me"})
    headers, body = conn.get_object("compat", "a/b.txt")
    assert body == b"swiftclient!" and headers["etag"] == etag
    assert headers["x-object-meta-who"] == "me"
    # chunked upload from a file-like object
    import io

    conn.put_object("compat", "chunked", contents=io.BytesIO(b"z" * 200_000), chunk_size=65536)
    assert conn.head_object("compat", "chunked")["content-length"] == "200000"
    _, listing = conn.get_container("compat", delimiter="/")
    assert [e.get("name") or e.get("subdir") for e in listing] == ["a/", "chunked"]
    acct, containers = conn.get_account()
    assert int(acct["x-account-object-count"]) >= 2
    assert "compat" in [c["name"] for c in containers]
    conn.copy_object("compat", "a/b.txt", destination="/compat/copy")
    assert conn.get_object("compat", "copy")[1] == b"swiftclient!"
    with pytest.raises(swiftclient.ClientException) as exc:
        conn.delete_container("compat")
    assert exc.value.http_status == 409
    for name in ("a/b.txt", "chunked", "copy"):
        conn.delete_object("compat", name)
    conn.delete_container("compat")
    with pytest.raises(swiftclient.ClientException) as exc:
        conn.head_container("compat")
    assert exc.value.http_status == 404
