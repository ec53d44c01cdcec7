"""X-Versions-Location / X-History-Location, and X-Delete-At / X-Delete-After."""

from __future__ import annotations

import time

from tests.object_store.conftest import Swift


def test_versions_stack(swift: Swift, container: str) -> None:
    swift("PUT", f"/{container}-v")
    swift("POST", f"/{container}", headers={"X-Versions-Location": f"{container}-v"})
    for body in (b"v1", b"v2", b"v3"):
        swift("PUT", f"/{container}/doc", content=body)
    assert swift("GET", f"/{container}/doc").content == b"v3"
    assert len(swift("GET", f"/{container}-v").text.splitlines()) == 2
    assert swift("DELETE", f"/{container}/doc").status_code == 204
    assert swift("GET", f"/{container}/doc").content == b"v2"
    swift("DELETE", f"/{container}/doc")
    assert swift("GET", f"/{container}/doc").content == b"v1"
    swift("DELETE", f"/{container}/doc")
    assert swift("GET", f"/{container}/doc").status_code == 404
    assert swift("DELETE", f"/{container}/doc").status_code == 404


def test_history_location(swift: Swift, container: str) -> None:
    swift("PUT", f"/{container}-h")
    swift("PUT", f"/{container}", headers={"X-History-Location": f"{container}-h"})
    swift("PUT", f"/{container}/doc", content=b"one")
    swift("PUT", f"/{container}/doc", content=b"two")
    swift("DELETE", f"/{container}/doc")
    assert swift("GET", f"/{container}/doc").status_code == 404
    assert len(swift("GET", f"/{container}-h").text.splitlines()) == 2


def test_expiry(swift: Swift, container: str) -> None:
    r = swift("PUT", f"/{container}/soon", content=b"x", headers={"X-Delete-After": "1"})
    assert r.status_code == 201
    at = swift("HEAD", f"/{container}/soon").headers["X-Delete-At"]
    assert int(at) <= int(time.time()) + 1
    assert swift("PUT", f"/{container}/past", content=b"x", headers={"X-Delete-At": "1"}).status_code == 400
    swift("PUT", f"/{container}/later", content=b"x")
    swift("POST", f"/{container}/later", headers={"X-Delete-At": str(int(time.time()) + 1)})
    time.sleep(2.1)
    assert swift("GET", f"/{container}/soon").status_code == 404
    assert swift("GET", f"/{container}/later").status_code == 404
    assert swift("GET", f"/{container}").status_code == 204
    assert swift("HEAD", f"/{container}").headers["X-Container-Object-Count"] == "0"


def test_expirer_gives_back_the_space(swift: Swift, container: str) -> None:
    """Objects nobody reads again still go: the expirer's pass removes their rows and
    bytes, and the container's counters follow."""
    mgr = swift.fx.cloud.services["object_store"]
    blobs_dir = mgr.store.objects
    before = sum(1 for p in blobs_dir.rglob("*") if p.is_file())
    for i in range(3):
        r = swift("PUT", f"/{container}/gone-{i}", content=b"y" * 1000, headers={"X-Delete-After": "1"})
        assert r.status_code == 201
    assert swift("PUT", f"/{container}/stays", content=b"z").status_code == 201
    assert sum(1 for p in blobs_dir.rglob("*") if p.is_file()) == before + 4
    time.sleep(2.1)
    assert mgr.expire_due() == 3
    assert sum(1 for p in blobs_dir.rglob("*") if p.is_file()) == before + 1
    head = swift("HEAD", f"/{container}").headers
    assert head["X-Container-Object-Count"] == "1"
    assert head["X-Container-Bytes-Used"] == "1"
    assert mgr.expire_due() == 0
