"""Microversion negotiation: echo rules (Tempest checks the exact value), 406, latest."""

from __future__ import annotations

import pytest

from onestack.compute import microversions
from tests.compute.conftest import ComputeFixture


def test_table_covers_every_version() -> None:
    microversions.assert_table_complete()
    assert str(microversions.MAX) == "2.96"


def test_default_is_21_and_both_headers_echoed(nova: ComputeFixture) -> None:
    r = nova.req("GET", "/flavors")
    assert r.status_code == 200
    assert r.headers["X-OpenStack-Nova-API-Version"] == "2.1"
    assert r.headers["OpenStack-API-Version"] == "compute 2.1"
    assert "OpenStack-API-Version" in r.headers["Vary"]
    assert "X-OpenStack-Nova-API-Version" in r.headers["Vary"]


@pytest.mark.parametrize("value", ["2.1", "2.2", "2.26", "2.47", "2.79", "2.96"])
def test_legacy_header_echoed_exactly(nova: ComputeFixture, value: str) -> None:
    r = nova.req("GET", "/flavors", headers={"X-OpenStack-Nova-API-Version": value})
    assert r.status_code == 200
    assert r.headers["X-OpenStack-Nova-API-Version"] == value
    assert r.headers["OpenStack-API-Version"] == f"compute {value}"


def test_new_header_wins_and_latest(nova: ComputeFixture) -> None:
    r = nova.req("GET", "/flavors", headers={"OpenStack-API-Version": "compute 2.50",
                                            "X-OpenStack-Nova-API-Version": "2.3"})
    assert r.headers["OpenStack-API-Version"] == "compute 2.50"
    r = nova.req("GET", "/flavors", version="latest")
    assert r.headers["OpenStack-API-Version"] == "compute 2.96"
    r = nova.req("GET", "/flavors", headers={"OpenStack-API-Version": "volume 3.5, compute 2.9"})
    assert r.headers["X-OpenStack-Nova-API-Version"] == "2.9"


@pytest.mark.parametrize("value,status", [("2.0", 406), ("2.97", 406), ("3.0", 406), ("1.1", 406),
                                          ("2.x", 400), ("abc", 400), ("2.01", 400)])
def test_out_of_range_and_malformed(nova: ComputeFixture, value: str, status: int) -> None:
    r = nova.req("GET", "/flavors", headers={"X-OpenStack-Nova-API-Version": value})
    assert r.status_code == status, r.text
    assert list(r.json())[0] in ("badRequest", "computeFault", "notAcceptable") or r.status_code == 406


def test_errors_echo_too(nova: ComputeFixture) -> None:
    r = nova.req("GET", "/servers/nope", version="2.30")
    assert r.status_code == 404
    assert r.json()["itemNotFound"]["code"] == 404
    assert r.headers["X-OpenStack-Nova-API-Version"] == "2.30"


def test_version_discovery(nova: ComputeFixture) -> None:
    c = nova.fx.client
    r = c.get("/compute/")
    assert r.status_code == 200
    listed = r.json()["versions"]
    assert [x["id"] for x in listed] == ["v2.0", "v2.1"]   # v2.0 first, as upstream
    v = listed[1]
    assert v["id"] == "v2.1" and v["version"] == "2.96" and v["min_version"] == "2.1"
    for path in ("/compute/v2.1", "/compute/v2.1/"):
        r = c.get(path)
        assert r.status_code == 200, path
        assert r.json()["version"]["status"] == "CURRENT"


def test_shapes_follow_versions(nova: ComputeFixture) -> None:
    sid = nova.boot()["id"]
    s21 = nova.req("GET", f"/servers/{sid}", version="2.1").json()["server"]
    for key in ("locked", "tags", "description", "locked_reason", "server_groups", "host_status",
                "trusted_image_certificates", "pinned_availability_zone", "OS-EXT-SRV-ATTR:hostname"):
        assert key not in s21, key
    assert set(s21["flavor"]) == {"id", "links"}
    s247 = nova.req("GET", f"/servers/{sid}", version="2.47").json()["server"]
    assert s247["flavor"]["original_name"] == "m1.nano" and "id" not in s247["flavor"]
    assert s247["locked"] is False and s247["tags"] == [] and "locked_reason" not in s247
    s273 = nova.req("GET", f"/servers/{sid}", version="2.73").json()["server"]
    assert s273["locked_reason"] is None and s273["server_groups"] == []
    kp21 = nova.req("GET", "/os-keypairs", version="2.1").json()
    assert kp21 == {"keypairs": []}
