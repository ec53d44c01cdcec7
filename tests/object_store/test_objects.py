"""Accounts, containers and objects as a Swift user sees them."""

from __future__ import annotations

import hashlib
import json
import os
import xml.etree.ElementTree as ET

from tests.conftest import CloudFixture
from tests.object_store.conftest import Swift


def test_account_head_counts_and_metadata(swift: Swift, container: str) -> None:
    assert swift("PUT", f"/{container}/o1", content=b"12345").status_code == 201
    r = swift("POST", "", headers={"X-Account-Meta-Color": "blue"})
    assert r.status_code == 204
    r = swift("HEAD")
    assert r.status_code == 204
    assert int(r.headers["X-Account-Container-Count"]) >= 1
    assert int(r.headers["X-Account-Object-Count"]) >= 1
    assert int(r.headers["X-Account-Bytes-Used"]) >= 5
    assert r.headers["X-Account-Meta-Color"] == "blue"
    swift("POST", "", headers={"X-Remove-Account-Meta-Color": "x"})
    assert "X-Account-Meta-Color" not in swift("HEAD").headers


def test_container_lifecycle(swift: Swift) -> None:
    assert swift("HEAD", "/lifecycle").status_code == 404
    assert swift("PUT", "/lifecycle", headers={"X-Container-Meta-A": "1"}).status_code == 201
    assert swift("PUT", "/lifecycle").status_code == 202
    r = swift("HEAD", "/lifecycle")
    assert r.status_code == 204
    assert r.headers["X-Container-Object-Count"] == "0"
    assert r.headers["X-Container-Bytes-Used"] == "0"
    assert r.headers["X-Container-Meta-A"] == "1"
    assert swift("POST", "/lifecycle", headers={"X-Container-Meta-B": "2"}).status_code == 204
    assert swift("HEAD", "/lifecycle").headers["X-Container-Meta-B"] == "2"
    swift("PUT", "/lifecycle/obj", content=b"x")
    r = swift("DELETE", "/lifecycle")
    assert r.status_code == 409
    assert "Conflict" in r.text
    assert swift("DELETE", "/lifecycle/obj").status_code == 204
    assert swift("DELETE", "/lifecycle").status_code == 204
    r = swift("DELETE", "/lifecycle")
    assert r.status_code == 404
    assert r.text == "<html><h1>Not Found</h1><p>The resource could not be found.</p></html>"


def test_object_roundtrip_and_metadata(swift: Swift, container: str) -> None:
    body = b"hello object store"
    r = swift("PUT", f"/{container}/dir/file.txt", content=body, headers={
        "Content-Type": "text/x-demo", "X-Object-Meta-Owner": "alice",
        "Content-Encoding": "identity", "Content-Disposition": "attachment; filename=f.txt"})
    assert r.status_code == 201
    assert r.headers["ETag"] == hashlib.md5(body).hexdigest()
    r = swift("GET", f"/{container}/dir/file.txt")
    assert r.status_code == 200
    assert r.content == body
    assert r.headers["Content-Type"] == "text/x-demo"
    assert r.headers["Content-Length"] == str(len(body))
    assert r.headers["X-Object-Meta-Owner"] == "alice"
    assert r.headers["Content-Disposition"] == "attachment; filename=f.txt"
    assert r.headers["Accept-Ranges"] == "bytes"
    assert "Last-Modified" in r.headers and "X-Timestamp" in r.headers
    # POST replaces user metadata
    assert swift("POST", f"/{container}/dir/file.txt", headers={"X-Object-Meta-New": "1"}).status_code == 202
    h = swift("HEAD", f"/{container}/dir/file.txt").headers
    assert h["X-Object-Meta-New"] == "1" and "X-Object-Meta-Owner" not in h
    assert h["Content-Length"] == str(len(body))
    c = swift("HEAD", f"/{container}").headers
    assert c["X-Container-Object-Count"] == "1"
    assert c["X-Container-Bytes-Used"] == str(len(body))
    assert swift("DELETE", f"/{container}/dir/file.txt").status_code == 204
    assert swift("GET", f"/{container}/dir/file.txt").status_code == 404
    assert swift("HEAD", f"/{container}").headers["X-Container-Bytes-Used"] == "0"


def test_names_ending_in_a_newline_are_their_own_objects(swift: Swift, container: str) -> None:
    assert swift("PUT", f"/{container}/a", content=b"plain").status_code == 201
    assert swift("PUT", f"/{container}/a%0A", content=b"newline").status_code == 201
    assert swift("GET", f"/{container}/a").content == b"plain"
    assert swift("GET", f"/{container}/a%0A").content == b"newline"
    assert sorted(swift("GET", f"/{container}?format=json").json(), key=lambda o: o["name"])[1]["name"] == "a\n"
    assert swift("DELETE", f"/{container}/a%0A").status_code == 204
    assert swift("GET", f"/{container}/a").content == b"plain"


def test_content_type_guessed(swift: Swift, container: str) -> None:
    swift("PUT", f"/{container}/pic.png", content=b"x")
    assert swift("HEAD", f"/{container}/pic.png").headers["Content-Type"] == "image/png"


def test_etag_mismatch_is_422_and_nothing_stored(swift: Swift, container: str) -> None:
    r = swift("PUT", f"/{container}/bad", content=b"abc", headers={"ETag": "0" * 32})
    assert r.status_code == 422
    assert swift("HEAD", f"/{container}/bad").status_code == 404
    good = hashlib.md5(b"abc").hexdigest()
    assert swift("PUT", f"/{container}/ok", content=b"abc", headers={"ETag": f'"{good}"'}).status_code == 201


def test_big_object_with_a_wrong_etag_is_422_and_leaves_nothing(swift: Swift, container: str,
                                                                 cloud: CloudFixture) -> None:
    body = os.urandom(9 * 1024 * 1024 + 17)  # streamed: past the small-PUT path and the first block
    r = swift("PUT", f"/{container}/big-bad", content=body, headers={"ETag": "0" * 32})
    assert r.status_code == 422
    assert swift("HEAD", f"/{container}/big-bad").status_code == 404
    r = swift("PUT", f"/{container}/big-ok", content=iter([body[:5000], body[5000:]]))  # chunked
    assert r.status_code == 201 and r.headers["ETag"] == hashlib.md5(body).hexdigest()
    assert swift("GET", f"/{container}/big-ok").content == body
    tmp = cloud.cloud.conf.data_path / "object-store" / "tmp"
    assert list(tmp.iterdir()) == []


def test_chunked_upload(swift: Swift, container: str) -> None:
    def gen():  # type: ignore[no-untyped-def]
        for i in range(50):
            yield bytes([i % 256]) * 10_000

    r = swift("PUT", f"/{container}/chunked", content=gen())
    assert r.status_code == 201
    expected = b"".join(bytes([i % 256]) * 10_000 for i in range(50))
    assert r.headers["ETag"] == hashlib.md5(expected).hexdigest()
    r = swift("GET", f"/{container}/chunked")
    assert r.content == expected


def test_put_without_length_is_411(swift: Swift, container: str) -> None:
    r = swift.fx.client.request("PUT", swift.account + f"/{container}/nolen",
                                headers={"X-Auth-Token": swift.token or ""})
    # httpx sends Content-Length: 0 for an empty body, which is a valid empty object
    assert r.status_code == 201


def test_overwrite_updates_counts(swift: Swift, container: str) -> None:
    swift("PUT", f"/{container}/o", content=b"aaaa")
    swift("PUT", f"/{container}/o", content=b"bb")
    h = swift("HEAD", f"/{container}").headers
    assert h["X-Container-Object-Count"] == "1"
    assert h["X-Container-Bytes-Used"] == "2"
    assert swift("GET", f"/{container}/o").content == b"bb"


def test_metadata_limits(swift: Swift, container: str) -> None:
    r = swift("PUT", f"/{container}/m", content=b"", headers={"X-Object-Meta-" + "k" * 129: "v"})
    assert r.status_code == 400
    r = swift("POST", f"/{container}", headers={"X-Container-Meta-Big": "v" * 257})
    assert r.status_code == 400


def _names(swift: Swift, path: str) -> list[str]:
    r = swift("GET", path)
    assert r.status_code in (200, 204), r.text
    return r.text.splitlines()


def test_container_listing_params(swift: Swift, container: str) -> None:
    names = ["a", "b/1", "b/2", "b/3/x", "c", "d/e", "é"]
    for n in names:
        assert swift("PUT", f"/{container}/{n}", content=n.encode()).status_code == 201
    base = f"/{container}"
    assert _names(swift, base) == names
    assert _names(swift, base + "?limit=2") == ["a", "b/1"]
    assert _names(swift, base + "?marker=b/2") == ["b/3/x", "c", "d/e", "é"]
    assert _names(swift, base + "?end_marker=b/2") == ["a", "b/1"]
    assert _names(swift, base + "?prefix=b/") == ["b/1", "b/2", "b/3/x"]
    assert _names(swift, base + "?delimiter=/") == ["a", "b/", "c", "d/", "é"]
    assert _names(swift, base + "?prefix=b/&delimiter=/") == ["b/1", "b/2", "b/3/"]
    assert _names(swift, base + "?reverse=true") == list(reversed(names))
    assert _names(swift, base + "?reverse=true&delimiter=/") == ["é", "d/", "c", "b/", "a"]
    assert _names(swift, base + "?reverse=true&marker=c&limit=2") == ["b/3/x", "b/2"]
    assert _names(swift, base + "?delimiter=/&limit=3") == ["a", "b/", "c"]
    assert _names(swift, base + "?prefix=zzz") == []
    assert swift("GET", base + "?prefix=zzz").status_code == 204
    assert swift("GET", base + "?limit=10001").status_code == 412


def test_listing_formats(swift: Swift, container: str) -> None:
    swift("PUT", f"/{container}/x/y", content=b"123", headers={"Content-Type": "text/plain"})
    r = swift("GET", f"/{container}?format=json")
    assert r.headers["Content-Type"].startswith("application/json")
    [entry] = r.json()
    assert entry["name"] == "x/y" and entry["bytes"] == 3
    assert entry["hash"] == hashlib.md5(b"123").hexdigest()
    assert entry["content_type"] == "text/plain" and "last_modified" in entry
    assert swift("GET", f"/{container}?format=json&delimiter=/").json() == [{"subdir": "x/"}]
    r = swift("GET", f"/{container}", headers={"Accept": "application/xml"})
    root = ET.fromstring(r.content)
    assert root.tag == "container" and root.attrib["name"] == container
    assert root.find("object/name").text == "x/y"  # type: ignore[union-attr]
    r = swift("GET", "?format=json&prefix=" + container)
    [c] = r.json()
    assert c == {"name": container, "count": 1, "bytes": 3, "last_modified": c["last_modified"]}
    r = swift("GET", "?format=xml&prefix=" + container)
    assert ET.fromstring(r.content).find("container/count").text == "1"  # type: ignore[union-attr]
    assert json.loads(swift("GET", f"/{container}?format=json&prefix=nothing").text) == []


def test_ranges(swift: Swift, container: str) -> None:
    body = bytes(range(100))
    swift("PUT", f"/{container}/r", content=body)
    r = swift("GET", f"/{container}/r", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == body[10:20]
    assert r.headers["Content-Range"] == "bytes 10-19/100"
    assert swift("GET", f"/{container}/r", headers={"Range": "bytes=-5"}).content == body[-5:]
    assert swift("GET", f"/{container}/r", headers={"Range": "bytes=95-"}).content == body[95:]
    assert swift("GET", f"/{container}/r", headers={"Range": "bytes=90-200"}).content == body[90:]
    r = swift("GET", f"/{container}/r", headers={"Range": "bytes=200-300"})
    assert r.status_code == 416 and r.headers["Content-Range"] == "bytes */100"
    r = swift("GET", f"/{container}/r", headers={"Range": "bytes=0-1,50-51"})
    assert r.status_code == 206
    ctype = r.headers["Content-Type"]
    assert ctype.startswith("multipart/byteranges")
    boundary = ctype.split("boundary=")[1]
    parts = [p for p in r.content.split(b"--" + boundary.encode()) if p.strip(b"-\r\n")]
    assert len(parts) == 2
    assert parts[0].endswith(b"\r\n\r\n" + body[0:2] + b"\r\n")
    assert b"Content-Range: bytes 50-51/100" in parts[1]
    assert swift("GET", f"/{container}/r", headers={"Range": "garbage"}).status_code == 200


def test_conditional_requests(swift: Swift, container: str) -> None:
    r = swift("PUT", f"/{container}/cond", content=b"data")
    etag = r.headers["ETag"]
    lm = r.headers["Last-Modified"]
    p = f"/{container}/cond"
    assert swift("GET", p, headers={"If-Match": f'"{etag}"'}).status_code == 200
    assert swift("GET", p, headers={"If-Match": "nope"}).status_code == 412
    assert swift("GET", p, headers={"If-None-Match": etag}).status_code == 304
    assert swift("GET", p, headers={"If-None-Match": "nope"}).status_code == 200
    assert swift("GET", p, headers={"If-Modified-Since": lm}).status_code == 304
    assert swift("GET", p, headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}).status_code == 200
    assert swift("GET", p, headers={"If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}).status_code == 412
    assert swift("HEAD", p, headers={"If-None-Match": "*"}).status_code == 304
    assert swift("PUT", p, content=b"again", headers={"If-None-Match": "*"}).status_code == 412


def test_copy_and_x_copy_from(swift: Swift, container: str) -> None:
    swift("PUT", f"/{container}/src", content=b"payload",
          headers={"X-Object-Meta-Tag": "t", "Content-Type": "text/x-src"})
    r = swift("COPY", f"/{container}/src", headers={"Destination": f"{container}/dst1",
                                                     "X-Object-Meta-Extra": "e"})
    assert r.status_code == 201
    assert r.headers["X-Copied-From"] == f"{container}/src"
    r = swift("GET", f"/{container}/dst1")
    assert r.content == b"payload"
    assert r.headers["X-Object-Meta-Tag"] == "t" and r.headers["X-Object-Meta-Extra"] == "e"
    assert r.headers["Content-Type"] == "text/x-src"
    r = swift("PUT", f"/{container}/dst2", headers={"X-Copy-From": f"/{container}/src",
                                                      "X-Fresh-Metadata": "true"}, content=b"")
    assert r.status_code == 201
    h = swift("HEAD", f"/{container}/dst2").headers
    assert "X-Object-Meta-Tag" not in h and h["Content-Length"] == "7"
    assert swift("COPY", f"/{container}/missing", headers={"Destination": f"{container}/x"}).status_code == 404


def test_errors_are_swift_shaped(swift: Swift) -> None:
    r = swift("GET", "/no-such-container")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert "X-Trans-Id" in r.headers
    assert swift("HEAD", "/no-such-container").content == b""


def test_info_lists_capabilities(swift: Swift) -> None:
    r = swift.fx.client.get("/object-store/info")
    assert r.status_code == 200
    info = r.json()
    assert info["swift"]["container_listing_limit"] == 10000
    assert {"slo", "dlo", "tempurl", "container_quotas", "account_quotas", "versioned_writes"} <= set(info)
    assert {"bulk_delete", "bulk_upload", "formpost", "crossdomain"} <= set(info)
    assert "staticweb" not in info and "symlink" not in info and "container_sync" not in info
