"""A fuzz pass over every identity route: random and wrongly-typed JSON, unknown
fields, huge and unicode strings, bad ids, bad query parameters, malformed bodies
and odd methods.  Whatever comes in, the answer is never a 5xx, and every 4xx is
Keystone's ``{"error": {"code", "title", "message"}}`` with the status as its code.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestack.core.web import Route
from onestack.identity.api.routes import ROUTES
from tests.conftest import CloudFixture, make_cloud

PREFIX = "/identity"
# ONESTACK_FUZZ_EXAMPLES=200 for a deeper run than the default quick pass
FUZZ = settings(max_examples=int(os.environ.get("ONESTACK_FUZZ_EXAMPLES", "6")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@dataclass
class Pool:
    """Real ids to aim at (throwaway objects, never the admin's own) and tokens."""

    ids: dict[str, list[str]]
    member_token: str
    subject_token: str


@pytest.fixture(scope="module")
def fuzz_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudFixture]:
    yield from make_cloud(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def pool(fuzz_cloud: CloudFixture) -> Pool:
    c = fuzz_cloud
    d = c.make_domain()
    p = c.make_project(domain_id=d["id"])
    u, member_token = c.persona("member", project_id=p["id"], user_domain=d["id"])
    g = c.admin("POST", "/groups", json={"group": {"name": "fz", "domain_id": d["id"]}}).json()["group"]
    role = c.admin("POST", "/roles", json={"role": {"name": "fz-role"}}).json()["role"]
    svc = c.admin("POST", "/services", json={"service": {"type": "fz"}}).json()["service"]
    region = c.admin("POST", "/regions", json={"region": {"id": "fz-region"}}).json()["region"]
    ep = c.admin("POST", "/endpoints", json={"endpoint": {"service_id": svc["id"], "interface": "public",
                                                          "url": "http://fz/"}}).json()["endpoint"]
    cred = c.admin("POST", "/credentials", json={"credential": {"blob": "b", "type": "x", "user_id": u["id"]}}).json()["credential"]
    ac = c.req("POST", f"/users/{u['id']}/application_credentials", member_token, json={"application_credential": {
        "name": "fz", "access_rules": [{"service": "s", "path": "/p", "method": "GET"}]}}).json()["application_credential"]
    _, subject = c.persona("reader", project_id=p["id"])
    ids = {
        "user": [u["id"]], "group": [g["id"]], "project": [p["id"]], "domain": [d["id"]],
        "role": [role["id"], c.role_id("reader")], "region": [region["id"]], "service": [svc["id"]],
        "endpoint": [ep["id"]], "credential": [cred["id"]], "app_cred": [ac["id"]],
        "rule": [ac["access_rules"][0]["id"]], "tag": ["blue"],
    }
    return Pool(ids=ids, member_token=member_token, subject_token=subject)


def _kind(param: str) -> str:
    for key, kind in (("user", "user"), ("group", "group"), ("project", "project"), ("domain", "domain"),
                      ("role", "role"), ("prior", "role"), ("implied", "role"), ("credential", "credential"),
                      ("app_cred", "app_cred"), ("rule", "rule"), ("tag", "tag")):
        if key in param:
            return kind
    return "any"


# ---- strategies ------------------------------------------------------------------------
TEXT = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x2FFFF, exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["", " ", "null", "true", "0", "-1", "../..", "%00", "a/b", "a,b", "default", "admin",
                     "*", "' OR 1=1 --", "<<null>>", "<<keystone.domain.root>>", "all"]),
    st.builds(lambda n: "x" * n, st.sampled_from([64, 65, 255, 256, 1025, 4000])),
)
HUGE = st.builds(lambda n: "é" * n, st.sampled_from([70_000, 300_000]))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | TEXT | HUGE,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
QUERY_KEYS = ["name", "domain_id", "enabled", "parent_id", "is_domain", "cascade", "allow_expired", "nocatalog",
              "include_names", "include_subtree", "effective", "user.id", "group.id", "role.id",
              "scope.project.id", "scope.domain.id", "scope.system", "scope.OS-INHERIT:inherited_to",
              "parents_as_list", "parents_as_ids", "subtree_as_list", "subtree_as_ids", "tags", "tags-any",
              "not-tags", "not-tags-any", "password_expires_at", "name__contains", "name__istartswith",
              "type", "interface", "service_id", "region_id", "parent_region_id", "user_id", "limit", "marker"]


def _schema_fields(route: Route) -> tuple[str | None, list[str]]:
    """The body's wrapper key and its known fields, so shaped bodies reach the handler."""
    schema = route.schema or {}
    props = schema.get("properties") or {}
    if len(props) == 1:
        (key, inner), = props.items()
        return key, sorted((inner.get("properties") or {}).keys())
    return None, sorted(props.keys())


@st.composite
def bodies(draw: st.DrawFn, route: Route) -> tuple[bytes | None, str]:
    """(raw body, content type)."""
    key, fields = _schema_fields(route)
    kind = draw(st.sampled_from(["shaped", "shaped", "json", "malformed", "empty", "wrong-type"]))
    if kind == "shaped":
        inner = draw(st.dictionaries(st.sampled_from(fields or ["x"]) | TEXT, JSON, max_size=5))
        body: Any = {key: inner} if key else inner
        if draw(st.booleans()):
            body = {**body, draw(TEXT): draw(JSON)} if isinstance(body, dict) else body
        return json.dumps(body).encode(), "application/json"
    if kind == "json":
        return json.dumps(draw(JSON)).encode(), "application/json"
    if kind == "malformed":
        raw = draw(st.sampled_from([b"{", b"{not json", b'{"a":}', b"\xff\xfe\x00", b"[1,2", b'"unterminated',
                                    b"{" * 5000, b"NaN", b'{"a": 1e99999}']))
        return raw, "application/json"
    if kind == "empty":
        return None, "application/json"
    return json.dumps({key or "x": {}}).encode(), draw(st.sampled_from(["text/plain", "application/xml", "multipart/form-data"]))


def _path(route: Route, values: dict[str, str]) -> str:
    return PREFIX + re.sub(r"\{([a-z_]+)\}", lambda m: quote(values[m.group(1)], safe=""), route.path)


def _check(r: Any, method: str, what: str) -> None:
    assert r.status_code < 500, f"{what} -> {r.status_code}: {r.text[:500]}"
    if 400 <= r.status_code < 500 and method != "HEAD":
        try:
            err = r.json()["error"]
        except (ValueError, KeyError, TypeError):
            pytest.fail(f"{what} -> {r.status_code} without a Keystone error body: {r.text[:300]}")
        assert err["code"] == r.status_code, what
        assert isinstance(err["title"], str) and err["title"], what
        assert isinstance(err["message"], str) and err["message"], what


@st.composite
def requests(draw: st.DrawFn, route: Route, pool: Pool) -> dict[str, Any]:
    values = {}
    for name in re.findall(r"\{([a-z_]+)\}", route.path):
        real = pool.ids.get(_kind(name), [])
        choices = [st.sampled_from(real)] if real else []
        values[name] = draw(st.one_of(*choices, *choices, TEXT.filter(bool), st.just(uuid.uuid4().hex)))
    method = draw(st.sampled_from([route.method, *route.extra_methods]) if draw(st.integers(0, 9)) else
                  st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]))
    query = draw(st.dictionaries(st.sampled_from(QUERY_KEYS) | TEXT.filter(bool), TEXT, max_size=4))
    token = draw(st.sampled_from(["admin", "admin", "admin", "member", "none", "bogus"]))
    raw, ctype = draw(bodies(route)) if method in ("POST", "PUT", "PATCH") else (None, "application/json")
    subject = draw(st.sampled_from([pool.subject_token, "garbage", "", "x" * 2000, "é"]))
    return {"values": values, "method": method, "query": query, "token": token, "raw": raw,
            "ctype": ctype, "subject": subject}


def _send(cloud: CloudFixture, pool: Pool, route: Route, req: dict[str, Any]) -> None:
    headers = {"Content-Type": req["ctype"]}
    tokens = {"admin": cloud.admin_token, "member": pool.member_token, "bogus": "bogus-" + uuid.uuid4().hex}
    if req["token"] in tokens:
        headers["X-Auth-Token"] = tokens[req["token"]]
    if req["subject"] and req["subject"].isascii():
        headers["X-Subject-Token"] = req["subject"]
    path = _path(route, req["values"])
    r = cloud.client.request(req["method"], path, params=req["query"], content=req["raw"], headers=headers)
    _check(r, req["method"], f"{req['method']} {path} {req['query']!r} body={req['raw'][:200] if req['raw'] else None!r}")


def _route_id(r: Route) -> str:
    return f"{r.method} {r.path}"


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_route_survives_fuzzing(fuzz_cloud: CloudFixture, pool: Pool, route: Route) -> None:
    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        _send(fuzz_cloud, pool, route, data.draw(requests(route, pool)))

    run()


def test_the_admin_still_works_after_fuzzing(fuzz_cloud: CloudFixture) -> None:
    """The fuzz never touched the admin: a sanity check that the cloud is still usable."""
    r = fuzz_cloud.admin("GET", "/auth/tokens", headers={"X-Subject-Token": fuzz_cloud.admin_token})
    assert r.status_code == 200


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.lists(TEXT.filter(bool), min_size=1, max_size=4),
       method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]))
def test_unknown_paths_and_methods(fuzz_cloud: CloudFixture, path: list[str], method: str) -> None:
    url = PREFIX + "/v3/" + "/".join(quote(p, safe="") for p in path)
    r = fuzz_cloud.client.request(method, url, headers={"X-Auth-Token": fuzz_cloud.admin_token})
    _check(r, method, f"{method} {url}")
