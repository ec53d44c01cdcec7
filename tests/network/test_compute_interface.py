"""The interface compute calls (manager/compute.py), against the manager."""

from __future__ import annotations

import uuid

import pytest

from onestack.core.context import RequestContext
from onestack.core.errors import ApiError
from tests.network.conftest import NetFixture, make_net_fixture


@pytest.fixture(scope="module")
def cn(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    yield from make_net_fixture(tmp_path_factory.mktemp("computenet"))


def _ctx(project_id: str) -> RequestContext:
    return RequestContext(user_id="u", project_id=project_id, roles=["member", "reader"])


def test_auto_none_and_explicit(cn: NetFixture) -> None:
    ci = cn.mgr.compute
    pid = str(uuid.uuid4()).replace("-", "")
    ctx = _ctx(pid)
    ci.validate_requested(ctx, "none")
    ci.validate_requested(ctx, None)  # legacy, no network: no NIC, no error
    assert ci.allocate_for_server(ctx, "srv-0", None) == []
    # auto with nothing: the project gets a network
    sid = str(uuid.uuid4())
    ports = ci.allocate_for_server(ctx, sid, "auto", None, "nova")
    assert len(ports) == 1 and ports[0]["device_id"] == sid and ports[0]["device_owner"] == "compute:nova"
    assert ports[0]["network_name"] == "auto_allocated_network" and ports[0]["fixed_ips"]
    assert ports[0]["floating_ips"] == [] and ports[0]["mtu"] == 1450
    # a second network: "auto" is ambiguous now
    with cn.mgr.db.session() as s:
        n2 = cn.mgr.networks.new_row(s, pid, {"name": "second"})
        s.flush()
        n2_id = n2.id
        cn.mgr.subnets.new_row(s, None, pid, n2, {"ip_version": 4, "cidr": "10.77.0.0/24"})
    with pytest.raises(ApiError) as e:
        ci.validate_requested(ctx, "auto")
    assert e.value.status == 409 and "Multiple possible networks" in e.value.message
    # explicit: network + fixed IP, and errors
    sid2 = str(uuid.uuid4())
    got = ci.allocate_for_server(ctx, sid2, [{"uuid": n2_id, "fixed_ip": "10.77.0.50"}])
    assert got[0]["fixed_ips"][0]["ip_address"] == "10.77.0.50"
    for bad, status in (([{"uuid": str(uuid.uuid4())}], 400), ([{"port": str(uuid.uuid4())}], 400),
                        ([{"uuid": n2_id, "fixed_ip": "10.77.0.50"}], 409),
                        ([{"uuid": n2_id, "fixed_ip": "10.78.0.5"}], 400),
                        ([{"port": got[0]["id"]}], 409)):
        with pytest.raises(ApiError) as e:
            ci.validate_requested(ctx, bad)
        assert e.value.status == status, bad
    # ports_for_servers answers for a page in one call
    by = ci.ports_for_servers([sid, sid2, "nothing"])
    assert set(by) == {sid, sid2}
    # instance_for_address (metadata)
    assert ci.instance_for_address(n2_id, "10.77.0.50") == sid2
    assert ci.instance_for_address(n2_id, "10.77.0.51") is None
    # plug / unplug
    tap = ci.plug(got[0]["id"], "host1")
    assert tap.startswith("tap")
    port = ci.ports_for_servers([sid2])[sid2][0]
    assert port["status"] == "ACTIVE" and port["binding:host_id"] == "host1"
    ci.unplug(got[0]["id"])
    ci.unplug(str(uuid.uuid4()))  # idempotent
    st = ci.network_state(n2_id)
    assert st is not None and st.subnets[0].cidr == "10.77.0.0/24"
    assert any(p.id == got[0]["id"] for p in st.ports)
    # deallocate: created ports go, addresses come back
    ci.deallocate_for_server(sid2)
    ci.deallocate_for_server(sid2)
    assert ci.ports_for_servers([sid2]) == {}
    assert ci.instance_for_address(n2_id, "10.77.0.50") is None


def test_existing_port_is_bound_then_released(cn: NetFixture) -> None:
    ci = cn.mgr.compute
    n = cn.network()
    cn.subnet(n["id"], "10.79.0.0/24")
    p = cn.port(n["id"])
    ctx = _ctx(cn.project_id)
    sid = str(uuid.uuid4())
    got = ci.allocate_for_server(ctx, sid, [{"port": p["id"]}])
    assert got[0]["id"] == p["id"] and got[0]["device_id"] == sid
    ci.deallocate_for_server(sid)
    after = cn.ok("GET", f"/ports/{p['id']}", cn.member)["port"]
    assert after["device_id"] == "" and after["fixed_ips"] == p["fixed_ips"]


def test_attach_detach(cn: NetFixture) -> None:
    ci = cn.mgr.compute
    n = cn.network()
    cn.subnet(n["id"], "10.80.0.0/24")
    ctx = _ctx(cn.project_id)
    sid = str(uuid.uuid4())
    port = ci.attach_interface(ctx, sid, net_id=n["id"])
    assert port["device_id"] == sid
    with pytest.raises(ApiError) as e:
        ci.detach_interface(ctx, "another", port["id"])
    assert e.value.status == 404
    ci.detach_interface(ctx, sid, port["id"])
    assert cn.req("GET", f"/ports/{port['id']}").status_code == 404
    with pytest.raises(ApiError):
        ci.attach_interface(ctx, sid, net_id=str(uuid.uuid4()))
