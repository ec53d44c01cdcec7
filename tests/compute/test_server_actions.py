"""Server actions: transitions, 409 when not allowed, instance actions records."""

from __future__ import annotations

from tests.compute.conftest import ComputeFixture


def test_power_pause_suspend_cycle(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    sid = nova.boot(tok)["id"]
    steps = [({"os-stop": None}, "SHUTOFF"), ({"os-start": None}, "ACTIVE"), ({"pause": None}, "PAUSED"),
             ({"unpause": None}, "ACTIVE"), ({"suspend": None}, "SUSPENDED"), ({"resume": None}, "ACTIVE"),
             ({"reboot": {"type": "SOFT"}}, "ACTIVE"), ({"reboot": {"type": "HARD"}}, "ACTIVE")]
    for body, status in steps:
        r = nova.action(sid, body, tok)
        assert r.status_code == 202, (body, r.text)
        srv = nova.wait(sid, status, tok)
        assert srv["status"] == status
    assert nova.wait(sid, "ACTIVE", tok)["OS-EXT-STS:power_state"] == 1
    actions = nova.req("GET", f"/servers/{sid}/os-instance-actions", tok).json()["instanceActions"]
    assert [a["action"] for a in actions][-1] == "create"
    assert "stop" in [a["action"] for a in actions]


def test_conflicts_are_409(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    sid = nova.boot(tok)["id"]
    for body in ({"os-start": None}, {"unpause": None}, {"resume": None}, {"unrescue": None},
                 {"confirmResize": None}, {"revertResize": None}):
        r = nova.action(sid, body, tok)
        assert r.status_code == 409, (body, r.text)
        assert "conflictingRequest" in r.json()
    nova.action(sid, {"os-stop": None}, tok)
    nova.wait(sid, "SHUTOFF", tok)
    assert nova.action(sid, {"reboot": {"type": "SOFT"}}, tok).status_code == 409
    assert nova.action(sid, {"pause": None}, tok).status_code == 409
    assert nova.action(sid, {"bogus": None}, tok).status_code == 400
    assert nova.action(sid, {"reboot": {"type": "sideways"}}, tok).status_code == 400


def test_lock(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    sid = nova.boot(tok)["id"]
    assert nova.action(sid, {"lock": {"locked_reason": "maintenance"}}, tok, "2.73").status_code == 202
    srv = nova.req("GET", f"/servers/{sid}", tok, "2.73").json()["server"]
    assert srv["locked"] is True and srv["locked_reason"] == "maintenance"
    assert nova.action(sid, {"os-stop": None}, tok).status_code == 409
    assert nova.req("DELETE", f"/servers/{sid}", tok).status_code == 409
    assert nova.req("GET", "/servers?locked=true", tok, "2.73").json()["servers"][0]["id"] == sid
    assert nova.action(sid, {"unlock": None}, tok).status_code == 202
    assert nova.action(sid, {"os-stop": None}, tok).status_code == 202
    # locked by an admin: the owner cannot unlock
    nova.wait(sid, "SHUTOFF", tok)
    assert nova.action(sid, {"lock": None}).status_code == 202
    assert nova.action(sid, {"unlock": None}, tok).status_code == 403
    assert nova.action(sid, {"unlock": None}).status_code == 202


def test_rescue_rebuild_resize(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    sid = nova.boot(tok)["id"]
    r = nova.action(sid, {"rescue": {"adminPass": "pw"}}, tok)
    assert r.status_code == 200 and r.json() == {"adminPass": "pw"}
    nova.wait(sid, "RESCUE", tok)
    assert nova.action(sid, {"unrescue": None}, tok).status_code == 202
    nova.wait(sid, "ACTIVE", tok)
    r = nova.action(sid, {"rebuild": {"imageRef": nova.image_id, "name": "rebuilt", "metadata": {"k": "v"}}}, tok)
    assert r.status_code == 202, r.text
    assert r.json()["server"]["adminPass"]
    srv = nova.wait(sid, "ACTIVE", tok)
    assert srv["name"] == "rebuilt" and srv["metadata"] == {"k": "v"}
    assert nova.action(sid, {"resize": {"flavorRef": "42"}}, tok).status_code == 400  # same flavor
    assert nova.action(sid, {"resize": {"flavorRef": "84"}}, tok).status_code == 202
    srv = nova.wait(sid, "VERIFY_RESIZE", tok, version="2.47")
    assert srv["flavor"]["original_name"] == "m1.micro"
    assert nova.action(sid, {"revertResize": None}, tok).status_code == 202
    srv = nova.wait(sid, "ACTIVE", tok, version="2.47")
    assert srv["flavor"]["original_name"] == "m1.nano"
    nova.action(sid, {"resize": {"flavorRef": "84"}}, tok)
    nova.wait(sid, "VERIFY_RESIZE", tok)
    assert nova.action(sid, {"confirmResize": None}, tok).status_code == 204
    srv = nova.wait(sid, "ACTIVE", tok)
    assert srv["flavor"]["id"] == "84"


def test_create_image_and_console(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    sid = nova.boot(tok)["id"]
    r = nova.action(sid, {"createImage": {"name": "snap", "metadata": {"purpose": "test"}}}, tok, "2.45")
    assert r.status_code == 202, r.text
    image_id = r.json()["image_id"]
    nova.wait(sid, "ACTIVE", tok)
    img = nova.fx.client.get(f"/image/v2/images/{image_id}", headers={"X-Auth-Token": tok}).json()
    assert img["status"] == "active" and img["instance_uuid"] == sid and img["purpose"] == "test"
    r = nova.action(sid, {"createImage": {"name": "snap2"}}, tok, "2.1")
    assert r.status_code == 202 and "/images/" in r.headers["Location"]
    nova.wait(sid, "ACTIVE", tok)
    out = nova.action(sid, {"os-getConsoleOutput": {"length": 1}}, tok)
    assert out.status_code == 200 and len(out.json()["output"].splitlines()) == 1
    full = nova.action(sid, {"os-getConsoleOutput": {}}, tok).json()["output"]
    assert "login:" in full


def test_reset_state_admin_only(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    sid = nova.boot(tok)["id"]
    assert nova.action(sid, {"os-resetState": {"state": "error"}}, tok).status_code == 403
    assert nova.action(sid, {"os-resetState": {"state": "error"}}).status_code == 202
    assert nova.req("GET", f"/servers/{sid}", tok).json()["server"]["status"] == "ERROR"
    assert nova.action(sid, {"reboot": {"type": "HARD"}}, tok).status_code == 202
    nova.wait(sid, "ACTIVE", tok)


def test_instance_action_detail(nova: ComputeFixture) -> None:
    tok, _, _ = nova.member()
    sid = nova.boot(tok)["id"]
    acts = nova.req("GET", f"/servers/{sid}/os-instance-actions", tok, "2.58").json()["instanceActions"]
    rid = acts[0]["request_id"]
    assert "updated_at" in acts[0]
    mine = nova.req("GET", f"/servers/{sid}/os-instance-actions/{rid}", tok, "2.62").json()["instanceAction"]
    assert mine["action"] == "create" and mine["events"][0]["result"] == "Success"
    assert "traceback" not in mine["events"][0] and "hostId" in mine["events"][0]
    adm = nova.req("GET", f"/servers/{sid}/os-instance-actions/{rid}", None, "2.62").json()["instanceAction"]
    assert adm["events"][0]["host"]
    nova.req("DELETE", f"/servers/{sid}", tok)
    nova.wait(sid, "DELETED", tok)
    assert nova.req("GET", f"/servers/{sid}/os-instance-actions", tok, "2.21").status_code == 200
    assert nova.req("GET", f"/servers/{sid}/os-instance-actions", tok, "2.20").status_code == 404
    assert nova.req("GET", f"/servers/{sid}/os-instance-actions/nope", tok, "2.21").status_code == 404
