"""Hypothesis: random bodies, actions and query strings never produce a 5xx."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.volume.conftest import VolumeFixture

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
volume_keys = st.sampled_from(["size", "name", "description", "volume_type", "availability_zone", "metadata",
                               "snapshot_id", "source_volid", "imageRef", "multiattach", "backup_id"])
versions = st.sampled_from(["3.0", "3.27", "3.42", "3.47", "3.53", "3.55", "3.65", "latest"])
actions = st.sampled_from(["os-extend", "os-set_bootable", "os-update_readonly_flag", "os-reserve", "os-attach",
                           "os-detach", "os-begin_detaching", "os-roll_detaching", "os-initialize_connection",
                           "os-terminate_connection", "os-volume_upload_image", "os-set_image_metadata",
                           "os-unset_image_metadata", "os-reset_status", "os-retype", "os-force_detach", "bogus"])
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
_VOL: dict[str, str] = {}


def _volume(c: VolumeFixture) -> str:
    vid = _VOL.get("id")
    if vid is None or c.req("GET", f"/volumes/{vid}").status_code != 200:
        vid = _VOL["id"] = c.volume()["id"]
    c.vm.wait_idle()
    # back to a usable state whatever the previous example did
    c.req("POST", f"/volumes/{vid}/action", json={"os-reset_status": {"status": "available",
                                                                       "attach_status": "detached"}})
    return vid


@SETTINGS
@given(body=st.dictionaries(volume_keys, json_values, max_size=6), version=versions, wrap=st.booleans())
def test_volume_create_never_5xx(cinder: VolumeFixture, body: dict[str, Any], version: str, wrap: bool) -> None:
    r = cinder.req("POST", "/volumes", None, version, json={"volume": body} if wrap else body)
    assert r.status_code < 500, r.text
    cinder.vm.wait_idle()


@SETTINGS
@given(name=actions, arg=json_values, version=versions)
def test_volume_actions_never_5xx(cinder: VolumeFixture, name: str, arg: Any, version: str) -> None:
    vid = _volume(cinder)
    r = cinder.req("POST", f"/volumes/{vid}/action", None, version, json={name: arg})
    assert r.status_code < 500, r.text
    cinder.vm.wait_idle()


@SETTINGS
@given(path=st.sampled_from(["/snapshots", "/backups", "/attachments", "/types", "/qos-specs", "/os-volume-transfer",
                             "/volume-transfers"]),
       body=st.dictionaries(st.sampled_from(["snapshot", "backup", "attachment", "volume_type", "qos_specs",
                                             "transfer"]),
                            st.dictionaries(st.sampled_from(["volume_id", "volume_uuid", "name", "force",
                                                             "incremental", "connector", "instance_uuid",
                                                             "extra_specs", "consumer", "metadata", "mode",
                                                             "no_snapshots", "is_public"]),
                                            json_values, max_size=5), max_size=2),
       version=versions)
def test_other_creates_never_5xx(cinder: VolumeFixture, path: str, body: dict[str, Any], version: str) -> None:
    r = cinder.req("POST", path, None, version, json=body)
    assert r.status_code < 500, r.text
    cinder.vm.wait_idle()


@SETTINGS
@given(query=st.dictionaries(st.sampled_from(["limit", "marker", "offset", "sort", "sort_key", "sort_dir", "status",
                                              "name", "metadata", "all_tenants", "bootable", "created_at",
                                              "with_count", "name~", "is_public", "image_metadata", "size"]),
                             st.text(max_size=15), max_size=4), version=versions,
       path=st.sampled_from(["/volumes", "/volumes/detail", "/snapshots/detail", "/backups/detail", "/types",
                             "/attachments", "/os-volume-transfer/detail", "/limits", "/volumes/summary"]))
def test_lists_never_5xx(cinder: VolumeFixture, query: dict[str, str], version: str, path: str) -> None:
    r = cinder.req("GET", path, None, version, params=query)
    assert r.status_code < 500, r.text


@SETTINGS
@given(segment=st.text(min_size=1, max_size=80), method=st.sampled_from(["GET", "PUT", "DELETE", "POST"]),
       kind=st.sampled_from(["volumes", "snapshots", "backups", "types", "qos-specs", "attachments",
                             "os-quota-sets", "os-volume-transfer"]))
def test_ids_never_5xx(cinder: VolumeFixture, segment: str, method: str, kind: str) -> None:
    from urllib.parse import quote

    r = cinder.req(method, f"/{kind}/{quote(segment, safe='')}", None, "3.70", json={})
    assert r.status_code < 500, r.text


@SETTINGS
@given(target=st.sampled_from(["PUT /volumes/{v}", "POST /volumes/{v}/metadata", "PUT /volumes/{v}/metadata",
                               "PUT /volumes/{v}/metadata/k", "PUT /os-quota-sets/{p}", "POST /types",
                               "PUT /os-quota-class-sets/default", "POST /backups/import_record",
                               "PUT /os-services/disable-log-reason", "POST /qos-specs",
                               "POST /os-volume-transfer/{v}/accept", "POST /types/{t}/action"]),
       body=json_values, version=versions)
def test_updates_never_5xx(cinder: VolumeFixture, target: str, body: Any, version: str) -> None:
    vid = _volume(cinder)
    tid = cinder.req("GET", "/types/default").json()["volume_type"]["id"]
    method, path = target.split(" ")
    path = path.format(v=vid, p=cinder.admin_project, t=tid)
    r = cinder.req(method, path, None, version, json=body)
    assert r.status_code < 500, r.text
    cinder.vm.wait_idle()
