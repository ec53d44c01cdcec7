"""Hypothesis: random os-volume_attachments bodies, block_device_mapping_v2
entries and os-volumes proxy bodies never produce a 5xx (volume service on,
fake drivers)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compute.conftest import ComputeFixture
from tests.compute.test_volume_attachments import make_volume, nv  # noqa: F401 - the module fixture

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=8,
)
versions = st.sampled_from(["2.1", "2.35", "2.49", "2.70", "2.79", "2.85", "2.89", "latest"])
att_keys = st.sampled_from(["volumeId", "device", "tag", "delete_on_termination", "id", "serverId"])
bdm_keys = st.sampled_from(["source_type", "destination_type", "uuid", "boot_index", "volume_size",
                            "delete_on_termination", "device_name", "tag", "volume_id", "guest_format"])
bdm_values = st.one_of(json_values, st.sampled_from(["image", "volume", "blank", "snapshot", "local", "0", "-1"]))
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
_state: dict[str, str] = {}


def _server_and_volume(nv: ComputeFixture) -> tuple[str, str]:  # noqa: F811
    if not _state:
        _state["server"] = nv.boot()["id"]
        _state["volume"] = make_volume(nv)
    return _state["server"], _state["volume"]


@SETTINGS
@given(body=st.dictionaries(att_keys, json_values, max_size=4), version=versions, real=st.booleans(),
       method=st.sampled_from(["POST", "PUT"]))
def test_attachment_bodies_never_5xx(nv: ComputeFixture, body: dict[str, Any], version: str,  # noqa: F811
                                     real: bool, method: str) -> None:
    sid, vid = _server_and_volume(nv)
    if real:
        body = {**body, "volumeId": vid}
    path = f"/servers/{sid}/os-volume_attachments" + (f"/{vid}" if method == "PUT" else "")
    r = nv.req(method, path, None, version, json={"volumeAttachment": body})
    assert r.status_code < 500, r.text
    nv.drain()
    nv.req("DELETE", f"/servers/{sid}/os-volume_attachments/{vid}")
    nv.drain()


@SETTINGS
@given(bdms=st.lists(st.dictionaries(bdm_keys, bdm_values, max_size=6), max_size=3), version=versions,
       image=st.sampled_from(["", None, "use-image"]))
def test_block_device_mappings_never_5xx(nv: ComputeFixture, bdms: list[dict[str, Any]], version: str,  # noqa: F811
                                         image: str | None) -> None:
    srv: dict[str, Any] = {"name": "fuzz", "flavorRef": "42", "block_device_mapping_v2": bdms}
    if image is not None:
        srv["imageRef"] = nv.image_id if image == "use-image" else ""
    if version not in ("2.1", "2.35"):
        srv["networks"] = "none"
    r = nv.req("POST", "/servers", None, version, json={"server": srv})
    assert r.status_code < 500, r.text
    if r.status_code == 202:
        sid = r.json()["server"]["id"]
        nv.drain()
        assert nv.req("DELETE", f"/servers/{sid}").status_code == 204
        nv.drain()


@SETTINGS
@given(body=json_values, segment=st.text(min_size=1, max_size=20).filter(lambda s: "/" not in s and "?" not in s),
       what=st.sampled_from(["os-volumes", "os-snapshots"]))
def test_volume_proxy_never_5xx(nv: ComputeFixture, body: Any, segment: str, what: str) -> None:  # noqa: F811
    key = what[3:-1]
    assert nv.req("POST", f"/{what}", None, "2.1", json={key: body}).status_code < 500
    for method in ("GET", "DELETE"):
        r = nv.req(method, f"/{what}/{quote(segment, safe='')}", None, "2.1")
        assert r.status_code < 500, r.text
    nv.drain()
