"""Who may use an account: roles, other projects, ACLs, temp URLs, quotas."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from tests.conftest import CloudFixture
from tests.object_store.conftest import Swift


def test_no_token_is_401(swift: Swift) -> None:
    r = swift("GET", token=None)
    assert r.status_code == 401
    assert swift("GET", token="garbage").status_code == 401


def test_reader_reads_only(cloud: CloudFixture, swift: Swift, project: dict[str, Any], container: str) -> None:
    swift("PUT", f"/{container}/o", content=b"x")
    _, tok = cloud.persona("reader", project_id=project["id"])
    assert swift("GET", f"/{container}/o", token=tok).content == b"x"
    assert swift("HEAD", "", token=tok).status_code == 204
    assert swift("PUT", f"/{container}/o2", token=tok, content=b"x").status_code == 403
    assert swift("DELETE", f"/{container}/o", token=tok).status_code == 403
    assert swift("PUT", "/newc", token=tok).status_code == 403


def test_other_project_is_403_reseller_admin_allowed(cloud: CloudFixture, swift: Swift, container: str) -> None:
    other = cloud.make_project()
    _, tok = cloud.persona("member", project_id=other["id"])
    assert swift("GET", "", token=tok).status_code == 403
    assert swift("GET", f"/{container}", token=tok).status_code == 403
    _, reseller = cloud.persona("ResellerAdmin", project_id=other["id"])
    assert swift("GET", f"/{container}", token=reseller).status_code in (200, 204)


def test_container_acls(cloud: CloudFixture, swift: Swift, container: str) -> None:
    swift("PUT", f"/{container}/pub", content=b"public")
    assert swift("GET", f"/{container}/pub", token=None).status_code == 401
    swift("POST", f"/{container}", headers={"X-Container-Read": ".r:*"})
    assert swift("GET", f"/{container}/pub", token=None).content == b"public"
    assert swift("GET", f"/{container}", token=None).status_code == 401  # no .rlistings
    swift("POST", f"/{container}", headers={"X-Container-Read": ".r:*,.rlistings"})
    assert swift("GET", f"/{container}", token=None).text == "pub\n"
    assert swift("PUT", f"/{container}/x", token=None, content=b"x").status_code == 401
    # cross-project write
    other = cloud.make_project()
    user, tok = cloud.persona("member", project_id=other["id"])
    assert swift("PUT", f"/{container}/w", token=tok, content=b"w").status_code == 403
    swift("POST", f"/{container}", headers={"X-Container-Write": f"{other['id']}:{user['id']}"})
    assert swift("PUT", f"/{container}/w", token=tok, content=b"w").status_code == 201
    # the ACL holder does not see the ACL headers; the owner does
    assert "X-Container-Write" not in swift("HEAD", f"/{container}", token=tok).headers
    assert swift("HEAD", f"/{container}").headers["X-Container-Write"] == f"{other['id']}:{user['id']}"


def _sig(key: str, method: str, expires: int, path: str, algo: Any = hashlib.sha256) -> str:
    return hmac.new(key.encode(), f"{method}\n{expires}\n{path}".encode(), algo).hexdigest()


def test_tempurl(swift: Swift, container: str) -> None:
    swift("POST", "", headers={"X-Account-Meta-Temp-URL-Key": "secret"})
    swift("PUT", f"/{container}/t.txt", content=b"temp")
    path = f"/v1/AUTH_{swift.project_id}/{container}/t.txt"
    exp = int(time.time()) + 60
    for algo in (hashlib.sha1, hashlib.sha256, hashlib.sha512):
        q = f"?temp_url_sig={_sig('secret', 'GET', exp, path, algo)}&temp_url_expires={exp}"
        r = swift("GET", f"/{container}/t.txt" + q, token=None)
        assert r.status_code == 200 and r.content == b"temp"
        assert r.headers["Content-Disposition"].startswith('attachment; filename="t.txt"')
    bad = f"?temp_url_sig={_sig('wrong', 'GET', exp, path)}&temp_url_expires={exp}"
    assert swift("GET", f"/{container}/t.txt" + bad, token=None).status_code == 401
    old = int(time.time()) - 1
    q = f"?temp_url_sig={_sig('secret', 'GET', old, path)}&temp_url_expires={old}"
    assert swift("GET", f"/{container}/t.txt" + q, token=None).status_code == 401
    q = f"?temp_url_sig={_sig('secret', 'PUT', exp, path)}&temp_url_expires={exp}"
    assert swift("PUT", f"/{container}/t.txt" + q, token=None, content=b"new").status_code == 201
    assert swift("GET", f"/{container}/t.txt").content == b"new"


def test_quotas(cloud: CloudFixture, swift: Swift, container: str, project: dict[str, Any]) -> None:
    swift("POST", f"/{container}", headers={"X-Container-Meta-Quota-Bytes": "10",
                                             "X-Container-Meta-Quota-Count": "2"})
    assert swift("PUT", f"/{container}/a", content=b"12345").status_code == 201
    assert swift("PUT", f"/{container}/b", content=b"123456").status_code == 413
    assert swift("PUT", f"/{container}/b", content=b"1").status_code == 201
    assert swift("PUT", f"/{container}/c", content=b"1").status_code == 413
    # account quota: only a reseller admin sets it
    assert swift("POST", "", headers={"X-Account-Meta-Quota-Bytes": "1"}).status_code == 403
    _, reseller = cloud.persona("ResellerAdmin", project_id=project["id"])
    used = int(swift("HEAD").headers["X-Account-Bytes-Used"])
    assert swift("POST", "", token=reseller, headers={"X-Account-Meta-Quota-Bytes": str(used + 3)}).status_code == 204
    swift("PUT", "/quota2")
    assert swift("PUT", "/quota2/big", content=b"1234").status_code == 413
    assert swift("PUT", "/quota2/small", content=b"123").status_code == 201
    swift("POST", "", token=reseller, headers={"X-Remove-Account-Meta-Quota-Bytes": "x"})
