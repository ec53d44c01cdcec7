"""Behaviour Tempest's broader object-storage tree checks: empty metadata values,
copy responses, prefix temp URLs, account object-count quotas, bulk operations,
healthcheck and crossdomain."""

from __future__ import annotations

import hashlib
import hmac
import io
import tarfile
import time
from typing import Any

from tests.conftest import CloudFixture
from tests.object_store.conftest import Swift


def test_empty_object_metadata_is_kept(swift: Swift, container: str) -> None:
    swift("PUT", f"/{container}/o", content=b"x", headers={"X-Object-Meta-Empty": ""})
    assert swift("HEAD", f"/{container}/o").headers["x-object-meta-empty"] == ""
    swift("POST", f"/{container}/o", headers={"X-Object-Meta-Other": ""})
    h = swift("HEAD", f"/{container}/o").headers
    assert h["x-object-meta-other"] == "" and "x-object-meta-empty" not in h


def test_copy_answers_with_the_new_metadata(swift: Swift, container: str) -> None:
    swift("PUT", f"/{container}/src", content=b"x", headers={"X-Object-Meta-Src": "s"})
    r = swift("COPY", f"/{container}/src", headers={"Destination": f"{container}/dst",
                                                    "X-Object-Meta-Test": "t"})
    assert r.status_code == 201
    assert r.headers["x-object-meta-src"] == "s" and r.headers["x-object-meta-test"] == "t"
    assert r.headers["x-copied-from-account"] == "AUTH_" + swift.project_id


def test_prefix_temp_url(swift: Swift, container: str) -> None:
    swift("POST", f"/{container}", headers={"X-Container-Meta-Temp-URL-Key": "k"})
    swift("PUT", f"/{container}/pub/a.txt", content=b"A")
    swift("PUT", f"/{container}/priv/b.txt", content=b"B")
    expires = int(time.time()) + 60
    path = f"/v1/AUTH_{swift.project_id}/{container}/pub"
    sig = hmac.new(b"k", f"GET\n{expires}\nprefix:{path}".encode(), hashlib.sha256).hexdigest()
    q = f"?temp_url_sig={sig}&temp_url_expires={expires}&temp_url_prefix=pub"
    assert swift("GET", f"/{container}/pub/a.txt{q}", token=None).content == b"A"
    assert swift("GET", f"/{container}/priv/b.txt{q}", token=None).status_code == 401


def test_account_object_count_quota(cloud: CloudFixture) -> None:
    project = cloud.make_project()
    _, tok = cloud.persona("member", project_id=project["id"])
    _, reseller = cloud.persona("ResellerAdmin", project_id=cloud.make_project()["id"])
    swift = Swift(cloud, tok, project["id"])
    swift("PUT", "/c")
    assert swift("POST", "", headers={"X-Account-Quota-Count": "1"}).status_code == 403
    assert swift("POST", "", token=reseller, headers={"X-Account-Quota-Count": "1"}).status_code == 204
    assert swift("HEAD").headers["x-account-quota-count"] == "1"
    assert swift("PUT", "/c/a", content=b"x").status_code == 201
    assert swift("PUT", "/c/b", content=b"x").status_code == 413
    swift("POST", "", token=reseller, headers={"X-Account-Quota-Count": ""})
    assert swift("PUT", "/c/b", content=b"x").status_code == 201


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_bulk_extract_and_delete(swift: Swift) -> None:
    r = swift("PUT", "?extract-archive=tar", content=_tar({"bulkc/x": b"1", "bulkc/d/y": b"22"}),
              headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["Number Files Created"] == 2, r.text
    assert swift("GET", "/bulkc/d/y").content == b"22"
    r = swift("DELETE", "?bulk-delete", content=b"bulkc/x\nbulkc/d/y\nbulkc\nnope/z\n")
    assert r.status_code == 200
    assert "Number Deleted: 3" in r.text and "Number Not Found: 1" in r.text
    assert swift("HEAD", "/bulkc").status_code == 404
    assert swift("PUT", "?extract-archive=zip", content=b"").status_code == 400


def test_healthcheck_and_crossdomain(cloud: CloudFixture) -> None:
    r = cloud.client.get("/object-store/healthcheck")
    assert r.status_code == 200 and r.text == "OK"
    r = cloud.client.get("/object-store/crossdomain.xml")
    assert r.status_code == 200 and r.text.endswith("</cross-domain-policy>")
    info: dict[str, Any] = cloud.client.get("/object-store/info").json()
    assert {"bulk_upload", "bulk_delete", "crossdomain"} <= set(info)
    assert info["swift"]["version"].split(".")[0] == "2"


def _form(path: str, key: str, expires: int, files: dict[str, bytes]) -> tuple[bytes, str]:
    fields = {"redirect": "", "max_file_size": "1000", "max_file_count": "5", "expires": str(expires)}
    body = "\n".join([path, "", "1000", "5", str(expires)])
    fields["signature"] = hmac.new(key.encode(), body.encode(), hashlib.sha1).hexdigest()
    b = "--bnd--"
    lines = []
    for k, v in fields.items():
        lines += ["--" + b, f'Content-Disposition: form-data; name="{k}"', "", v]
    for name, data in files.items():
        lines += ["--" + b, f'Content-Disposition: form-data; name="f"; filename="{name}"',
                  "Content-Type: text/plain", "", data.decode()]
    lines += ["--" + b + "--", ""]
    return "\r\n".join(lines).encode(), f"multipart/form-data; boundary={b}"


def test_formpost(swift: Swift, container: str) -> None:
    swift("POST", f"/{container}", headers={"X-Container-Meta-Temp-URL-Key": "fk"})
    path = f"/object-store/v1/AUTH_{swift.project_id}/{container}/up-"
    body, ct = _form(path, "fk", int(time.time()) + 60, {"a.txt": b"hello"})
    r = swift("POST", f"/{container}/up-", token=None, content=body, headers={"Content-Type": ct})
    assert r.status_code == 201, r.text
    assert swift("GET", f"/{container}/up-a.txt").content == b"hello"
    body, ct = _form(path, "wrong", int(time.time()) + 60, {"b.txt": b"x"})
    r = swift("POST", f"/{container}/up-", token=None, content=body, headers={"Content-Type": ct})
    assert r.status_code == 401 and "FormPost: Invalid Signature" in r.text
    body, ct = _form(path, "fk", int(time.time()) - 1, {"b.txt": b"x"})
    r = swift("POST", f"/{container}/up-", token=None, content=body, headers={"Content-Type": ct})
    assert r.status_code == 401 and "FormPost: Form Expired" in r.text
