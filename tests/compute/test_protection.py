"""Personas against the compute policy defaults: owner (member), reader in the
project, member of another project, admin."""

from __future__ import annotations

import pytest

from tests.compute.conftest import ComputeFixture


@pytest.fixture(scope="module")
def setup(nova: ComputeFixture) -> dict[str, str]:
    member, pid, _ = nova.member()
    reader, _, _ = nova.member(pid, role="reader")
    other, _, _ = nova.member()
    sid = nova.boot(member)["id"]
    return {"member": member, "reader": reader, "other": other, "admin": nova.fx.admin_token, "sid": sid,
            "pid": pid}


@pytest.mark.parametrize("who,expect", [("member", 200), ("reader", 200), ("other", 404), ("admin", 200)])
def test_show(nova: ComputeFixture, setup: dict[str, str], who: str, expect: int) -> None:
    assert nova.req("GET", f"/servers/{setup['sid']}", setup[who]).status_code == expect


@pytest.mark.parametrize("who,expect", [("member", 200), ("reader", 403), ("other", 404), ("admin", 200)])
def test_update(nova: ComputeFixture, setup: dict[str, str], who: str, expect: int) -> None:
    r = nova.req("PUT", f"/servers/{setup['sid']}", setup[who], json={"server": {"name": "n-" + who}})
    assert r.status_code == expect


@pytest.mark.parametrize("who,expect", [("member", 202), ("reader", 403), ("other", 404), ("admin", 202)])
def test_reboot(nova: ComputeFixture, setup: dict[str, str], who: str, expect: int) -> None:
    nova.wait(setup["sid"], "ACTIVE")
    r = nova.action(setup["sid"], {"reboot": {"type": "HARD"}}, setup[who])
    assert r.status_code == expect, r.text
    nova.wait(setup["sid"], "ACTIVE")


@pytest.mark.parametrize("who,expect", [("member", 403), ("reader", 403), ("other", 403)])
def test_create_as_reader_denied(nova: ComputeFixture, setup: dict[str, str], who: str, expect: int) -> None:
    if who != "reader":
        pytest.skip("members may create")
    r = nova.req("POST", "/servers", setup[who], "2.37", json={"server": {
        "name": "x", "imageRef": nova.image_id, "flavorRef": "42", "networks": "none"}})
    assert r.status_code == expect


@pytest.mark.parametrize("who,expect", [("member", 403), ("reader", 403), ("admin", 200)])
def test_admin_apis(nova: ComputeFixture, setup: dict[str, str], who: str, expect: int) -> None:
    for path in ("/os-hypervisors", "/os-services", "/os-simple-tenant-usage", "/servers?all_tenants=1"):
        assert nova.req("GET", path, setup[who]).status_code == expect, path


def test_reader_lists_and_reads_metadata(nova: ComputeFixture, setup: dict[str, str]) -> None:
    assert setup["sid"] in [s["id"] for s in nova.req("GET", "/servers", setup["reader"]).json()["servers"]]
    sid = setup["sid"]
    assert nova.req("GET", f"/servers/{sid}/metadata", setup["reader"]).status_code == 200
    assert nova.req("POST", f"/servers/{sid}/metadata", setup["reader"], json={"metadata": {"a": "b"}}).status_code == 403
    assert nova.req("DELETE", f"/servers/{sid}", setup["reader"]).status_code == 403


def test_no_token(nova: ComputeFixture) -> None:
    r = nova.fx.client.get("/compute/v2.1/servers")
    assert r.status_code == 401 and "unauthorized" in r.json()
