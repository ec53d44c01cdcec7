"""Dynamic (X-Object-Manifest) and static (multipart-manifest) large objects."""

from __future__ import annotations

import hashlib
import json

from tests.object_store.conftest import Swift


def test_dlo_concatenates_segments(swift: Swift, container: str) -> None:
    for i, part in enumerate([b"aaa", b"bbb", b"cc"]):
        swift("PUT", f"/{container}/seg/{i:03d}", content=part)
    r = swift("PUT", f"/{container}/big", content=b"", headers={"X-Object-Manifest": f"{container}/seg/"})
    assert r.status_code == 201
    r = swift("GET", f"/{container}/big")
    assert r.content == b"aaabbbcc"
    etags = "".join(hashlib.md5(p).hexdigest() for p in [b"aaa", b"bbb", b"cc"])
    assert r.headers["ETag"] == f'"{hashlib.md5(etags.encode()).hexdigest()}"'
    assert r.headers["X-Object-Manifest"] == f"{container}/seg/"
    assert swift("GET", f"/{container}/big", headers={"Range": "bytes=2-4"}).content == b"abb"
    assert swift("GET", f"/{container}/big?multipart-manifest=get").content == b""


def test_slo_put_get_delete(swift: Swift, container: str) -> None:
    parts = [b"x" * 10, b"y" * 20, b"z" * 5]
    etags = []
    for i, p in enumerate(parts):
        etags.append(swift("PUT", f"/{container}/s/{i}", content=p).headers["ETag"])
    manifest = [{"path": f"/{container}/s/{i}", "etag": e, "size_bytes": len(p)}
                for i, (p, e) in enumerate(zip(parts, etags, strict=True))]
    r = swift("PUT", f"/{container}/slo?multipart-manifest=put", content=json.dumps(manifest))
    assert r.status_code == 201, r.text
    slo_etag = hashlib.md5("".join(etags).encode()).hexdigest()
    assert r.headers["ETag"] == f'"{slo_etag}"'
    r = swift("GET", f"/{container}/slo")
    assert r.content == b"".join(parts)
    assert r.headers["X-Static-Large-Object"] == "True"
    assert r.headers["Content-Length"] == "35"
    assert swift("GET", f"/{container}/slo", headers={"Range": "bytes=8-11"}).content == b"xxyy"
    [entry] = [e for e in swift("GET", f"/{container}?format=json").json() if e["name"] == "slo"]
    assert entry["bytes"] == 35 and entry["hash"] == slo_etag
    got = swift("GET", f"/{container}/slo?multipart-manifest=get").json()
    assert [s["name"] for s in got] == [m["path"] for m in manifest]
    raw = swift("GET", f"/{container}/slo?multipart-manifest=get&format=raw").json()
    assert raw[0] == {"path": f"/{container}/s/0", "etag": etags[0], "size_bytes": 10}
    r = swift("DELETE", f"/{container}/slo?multipart-manifest=delete")
    assert r.status_code == 200
    assert "Number Deleted: 4" in r.text
    assert swift("GET", f"/{container}?format=json").json() == []


def test_slo_rejects_bad_segments(swift: Swift, container: str) -> None:
    swift("PUT", f"/{container}/seg", content=b"abc")
    bad = [{"path": f"/{container}/seg", "etag": "0" * 32, "size_bytes": 3},
           {"path": f"/{container}/missing", "etag": None, "size_bytes": None}]
    r = swift("PUT", f"/{container}/slo?multipart-manifest=put", content=json.dumps(bad))
    assert r.status_code == 400
    assert "Etag Mismatch" in r.text and "404 Not Found" in r.text
    ok = [{"path": f"/{container}/seg"}]
    r = swift("PUT", f"/{container}/slo?multipart-manifest=put", content=json.dumps(ok),
              headers={"ETag": "f" * 32})
    assert r.status_code == 422


def test_slo_segment_ranges_and_copy(swift: Swift, container: str) -> None:
    swift("PUT", f"/{container}/seg", content=b"0123456789")
    manifest = [{"path": f"/{container}/seg", "range": "2-4"}, {"path": f"/{container}/seg", "range": "-2"}]
    assert swift("PUT", f"/{container}/slo?multipart-manifest=put", content=json.dumps(manifest)).status_code == 201
    assert swift("GET", f"/{container}/slo").content == b"23489"
    r = swift("COPY", f"/{container}/slo", headers={"Destination": f"{container}/flat"})
    assert r.status_code == 201
    r = swift("GET", f"/{container}/flat")
    assert r.content == b"23489" and "X-Static-Large-Object" not in r.headers
