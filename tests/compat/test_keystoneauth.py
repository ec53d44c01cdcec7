"""keystoneauth1 sessions (what every OpenStack client library is built on) and the
v2.0 token call older tools still make, over plain HTTP with requests."""

from __future__ import annotations

import pytest

from tests.compat.conftest import ADMIN_PASSWORD, Server

ka_session = pytest.importorskip("keystoneauth1.session")
requests = pytest.importorskip("requests")
from keystoneauth1 import exceptions as ka_exc  # noqa: E402
from keystoneauth1.identity import v2, v3  # noqa: E402

pytestmark = [pytest.mark.compat, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def _admin_session(server: Server) -> ka_session.Session:
    auth = v3.Password(auth_url=server.auth_url, username="admin", password=ADMIN_PASSWORD,
                       user_domain_name="Default", project_name="admin",
                       project_domain_name="Default")
    return ka_session.Session(auth=auth)


def test_v3_password_session(server: Server) -> None:
    sess = _admin_session(server)
    try:
        token = sess.get_token()
        assert token and token.startswith("gAAAAA")
        access = sess.auth.get_access(sess)
        assert access.project_name == "admin" and access.user_domain_id == "default"
        assert {"admin", "member", "reader"} <= set(access.role_names)
        assert sess.get_endpoint(service_type="identity", interface="public") == server.auth_url
        assert sess.get_endpoint(service_type="identity", interface="internal",
                                 region_name="RegionOne") == server.auth_url

        # a request routed through the catalog, authenticated by the session
        r = sess.get("/projects", endpoint_filter={"service_type": "identity", "interface": "public"})
        assert r.status_code == 200 and "admin" in {p["name"] for p in r.json()["projects"]}
        r = sess.get("/auth/tokens", endpoint_filter={"service_type": "identity"},
                     headers={"X-Subject-Token": token})
        assert r.json()["token"]["project"]["name"] == "admin"

        # a revoked token is refused, and the session re-authenticates on invalidate()
        sess.delete("/auth/tokens", endpoint_filter={"service_type": "identity"},
                    headers={"X-Subject-Token": token})
        with pytest.raises(ka_exc.NotFound):
            sess.get("/auth/tokens", endpoint_filter={"service_type": "identity"},
                     headers={"X-Subject-Token": token}, authenticated=True,
                     auth=v3.Token(auth_url=server.auth_url, token=server.password_token()))
        assert sess.invalidate()
        assert sess.get_token() != token
    finally:
        sess.session.close()


def test_v3_wrong_password_is_401(server: Server) -> None:
    auth = v3.Password(auth_url=server.auth_url, username="admin", password="wrong",
                       user_domain_id="default", project_name="admin", project_domain_id="default")
    sess = ka_session.Session(auth=auth)
    try:
        with pytest.raises(ka_exc.Unauthorized):
            sess.get_token()
    finally:
        sess.session.close()


def test_v2_token_call_with_requests(server: Server) -> None:
    base = server.url + "/identity"
    body = {"auth": {"passwordCredentials": {"username": "admin", "password": ADMIN_PASSWORD},
                     "tenantName": "admin"}}
    with requests.Session() as http:
        r = http.post(base + "/v2.0/tokens", json=body, timeout=10)
        assert r.status_code == 200, r.text
        access = r.json()["access"]
        token = access["token"]
        assert token["id"].startswith("gAAAAA") and token["tenant"]["name"] == "admin"
        assert token["expires"].endswith("Z")
        identity = next(s for s in access["serviceCatalog"] if s["type"] == "identity")
        assert identity["endpoints"][0]["publicURL"] == server.auth_url
        assert "admin" in {x["name"] for x in access["user"]["roles"]}

        # the v2 token is an ordinary token for the v3 API
        r = http.get(server.auth_url + "/auth/tokens", timeout=10,
                     headers={"X-Auth-Token": token["id"], "X-Subject-Token": token["id"]})
        assert r.status_code == 200 and r.json()["token"]["project"]["name"] == "admin"

        r = http.post(base + "/v2.0/tokens", timeout=10, json={
            "auth": {"passwordCredentials": {"username": "admin", "password": "wrong"}}})
        assert r.status_code == 401 and r.json()["error"]["code"] == 401


def test_v2_plugin_session(server: Server) -> None:
    auth = v2.Password(auth_url=server.url + "/identity/v2.0", username="admin",
                       password=ADMIN_PASSWORD, tenant_name="admin")
    sess = ka_session.Session(auth=auth)
    try:
        assert sess.get_token().startswith("gAAAAA")
        assert sess.get_endpoint(service_type="identity", interface="public") == server.auth_url
    finally:
        sess.session.close()
