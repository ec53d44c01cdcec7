"""Hypothesis: random bodies, paths and query strings never produce a 5xx."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compute.conftest import ComputeFixture

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
keys = st.sampled_from(["name", "imageRef", "flavorRef", "networks", "min_count", "max_count", "metadata",
                        "user_data", "key_name", "availability_zone", "tags", "config_drive", "description"])
server_bodies = st.dictionaries(keys, json_values, max_size=6)
actions = st.sampled_from(["reboot", "os-stop", "os-start", "pause", "lock", "rescue", "rebuild", "resize",
                           "createImage", "os-getConsoleOutput", "confirmResize", "bogus"])
versions = st.sampled_from(["2.1", "2.26", "2.47", "2.73", "2.75", "2.90", "latest"])
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(body=server_bodies, version=versions, wrap=st.booleans())
def test_server_create_never_5xx(nova: ComputeFixture, body: dict[str, Any], version: str, wrap: bool) -> None:
    r = nova.req("POST", "/servers", None, version, json={"server": body} if wrap else body)
    assert r.status_code < 500, r.text


@SETTINGS
@given(name=actions, arg=json_values, version=versions)
def test_actions_never_5xx(nova: ComputeFixture, name: str, arg: Any, version: str) -> None:
    sid = _server(nova)
    r = nova.action(sid, {name: arg}, None, version)
    assert r.status_code < 500, r.text
    nova.drain()


@SETTINGS
@given(query=st.dictionaries(st.sampled_from(["limit", "marker", "status", "sort_key", "sort_dir", "changes-since",
                                              "tags", "name", "all_tenants", "deleted", "locked", "flavor"]),
                             st.text(max_size=15), max_size=4), version=versions,
       path=st.sampled_from(["/servers", "/servers/detail", "/flavors", "/flavors/detail", "/os-keypairs",
                             "/os-hypervisors", "/os-server-groups", "/os-simple-tenant-usage", "/limits"]))
def test_lists_never_5xx(nova: ComputeFixture, query: dict[str, str], version: str, path: str) -> None:
    r = nova.req("GET", path, None, version, params=query)
    assert r.status_code < 500, r.text


@SETTINGS
@given(segment=st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s and "?" not in s and "#" not in s),
       body=json_values)
def test_paths_never_5xx(nova: ComputeFixture, segment: str, body: Any) -> None:
    segment = quote(segment, safe="")
    for method, path in (("GET", f"/servers/{segment}"), ("PUT", f"/servers/{segment}/metadata/{segment}"),
                         ("GET", f"/flavors/{segment}/os-extra_specs"), ("DELETE", f"/os-keypairs/{segment}"),
                         ("PUT", f"/os-quota-sets/{segment}"), ("GET", f"/os-hypervisors/{segment}")):
        r = nova.req(method, path, None, "latest", json=body if method == "PUT" else None)
        assert r.status_code < 500, (method, path, r.text)


_SERVER: dict[str, str] = {}


def _server(nova: ComputeFixture) -> str:
    key = str(id(nova))
    if key not in _SERVER:
        _SERVER[key] = nova.boot()["id"]
    sid = _SERVER[key]
    r = nova.req("GET", f"/servers/{sid}")
    if r.status_code != 200 or r.json()["server"]["status"] in ("ERROR",):
        _SERVER[key] = nova.boot()["id"]
    return _SERVER[key]
