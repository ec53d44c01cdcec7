"""OS-POLICY blobs (/v3/policies) and OS-EC2 credentials (/v3/users/{id}/credentials/OS-EC2)."""

from __future__ import annotations

import uuid

from tests.conftest import CloudFixture


def test_policy_blob_crud(cloud: CloudFixture) -> None:
    r = cloud.admin("POST", "/policies", json={"policy": {"blob": '{"a": "b"}', "type": "application/json", "x": 1}})
    assert r.status_code == 201, r.text
    p = r.json()["policy"]
    assert p["blob"] == '{"a": "b"}' and p["type"] == "application/json" and p["x"] == 1
    assert p["links"]["self"].endswith(f"/v3/policies/{p['id']}")
    assert p["id"] in [i["id"] for i in cloud.admin("GET", "/policies").json()["policies"]]
    assert [i["id"] for i in cloud.admin("GET", "/policies?type=application/json").json()["policies"]] == [p["id"]]
    assert cloud.admin("GET", "/policies?type=other").json()["policies"] == []
    r = cloud.admin("PATCH", f"/policies/{p['id']}", json={"policy": {"type": "text/plain"}})
    assert r.status_code == 200 and r.json()["policy"]["type"] == "text/plain"
    assert cloud.admin("GET", f"/policies/{p['id']}").json()["policy"]["blob"] == '{"a": "b"}'
    assert cloud.admin("POST", "/policies", json={"policy": {"type": "t"}}).status_code == 400
    assert cloud.admin("PATCH", f"/policies/{p['id']}", json={"policy": {}}).status_code == 400
    _, member = cloud.persona("member", project_id=cloud.make_project()["id"])
    assert cloud.req("GET", "/policies", member).status_code == 403
    assert cloud.req("POST", "/policies", member, json={"policy": {"blob": "b", "type": "t"}}).status_code == 403
    assert cloud.admin("DELETE", f"/policies/{p['id']}").status_code == 204
    assert cloud.admin("GET", f"/policies/{p['id']}").status_code == 404


def test_ec2_credentials(cloud: CloudFixture) -> None:
    p = cloud.make_project()
    u, tok = cloud.persona("member", project_id=p["id"])
    base = f"/users/{u['id']}/credentials/OS-EC2"
    r = cloud.req("POST", base, tok, json={"tenant_id": p["id"]})
    assert r.status_code == 201, r.text
    c = r.json()["credential"]
    assert c["user_id"] == u["id"] and c["tenant_id"] == p["id"] and c["access"] and c["secret"]
    assert c["trust_id"] is None and c["links"]["self"].endswith(f"{base}/{c['access']}")
    assert [i["access"] for i in cloud.req("GET", base, tok).json()["credentials"]] == [c["access"]]
    shown = cloud.req("GET", f"{base}/{c['access']}", tok).json()["credential"]
    assert {k: shown[k] for k in ("access", "secret", "user_id", "tenant_id")} == \
        {k: c[k] for k in ("access", "secret", "user_id", "tenant_id")}
    # also a plain credential of type ec2
    creds = cloud.req("GET", f"/credentials?user_id={u['id']}", tok).json()["credentials"]
    assert [x["type"] for x in creds] == ["ec2"]
    # unknown project or access key; another user
    assert cloud.req("POST", base, tok, json={"tenant_id": uuid.uuid4().hex}).status_code == 404
    assert cloud.req("GET", f"{base}/{uuid.uuid4().hex}", tok).status_code == 404
    _, other = cloud.persona("member", project_id=p["id"])
    assert cloud.req("GET", f"{base}/{c['access']}", other).status_code == 403
    assert cloud.req("POST", base, other, json={"tenant_id": p["id"]}).status_code == 403
    assert cloud.req("DELETE", f"{base}/{c['access']}", tok).status_code == 204
    assert cloud.req("GET", f"{base}/{c['access']}", tok).status_code == 404
