"""Who may do what to an image, per persona: the owner project's member and reader,
a member of another project, and an admin (upstream Glance's default policies)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.image.conftest import OCTET, Glance, Personas

Check = Callable[[Glance, dict[str, Any]], Any]

ACTIONS: dict[str, Check] = {
    "show": lambda g, i: g.get(i["id"]),
    "update": lambda g, i: g.patch(i["id"], [{"op": "replace", "path": "/name", "value": "n"}]),
    "delete": lambda g, i: g("DELETE", f"/v2/images/{i['id']}"),
    "upload": lambda g, i: g("PUT", f"/v2/images/{i['id']}/file", content=b"x", headers=OCTET),
    "stage": lambda g, i: g("PUT", f"/v2/images/{i['id']}/stage", content=b"x", headers=OCTET),
    "download": lambda g, i: g("GET", f"/v2/images/{i['id']}/file"),
    "tag": lambda g, i: g("PUT", f"/v2/images/{i['id']}/tags/t"),
    "untag": lambda g, i: g("DELETE", f"/v2/images/{i['id']}/tags/keep"),
    "deactivate": lambda g, i: g("POST", f"/v2/images/{i['id']}/actions/deactivate"),
    "members": lambda g, i: g("GET", f"/v2/images/{i['id']}/members"),
    "add_member": lambda g, i: g("POST", f"/v2/images/{i['id']}/members", json={"member": "x"}),
    "import": lambda g, i: g("POST", f"/v2/images/{i['id']}/import",
                             json={"method": {"name": "web-download", "uri": "http://127.0.0.1:9/x"}}),
}

# persona -> action -> expected status, for a *private* image of project A
PRIVATE = {
    "owner": {"show": 200, "update": 200, "delete": 204, "upload": 204, "stage": 204, "download": 200,
              "tag": 204, "untag": 204, "deactivate": 204, "members": 200, "add_member": 403, "import": 202},
    "reader": {"show": 200, "update": 403, "delete": 403, "upload": 403, "stage": 403, "download": 403,
               "tag": 403, "untag": 403, "deactivate": 403, "members": 200, "add_member": 403, "import": 403},
    "other": {a: 404 for a in ACTIONS},
    "admin": {"show": 200, "update": 200, "delete": 204, "upload": 204, "stage": 204, "download": 200,
              "tag": 204, "untag": 204, "deactivate": 204, "members": 200, "add_member": 403, "import": 202},
}
# for a *public* image of project A (created by an admin for project A)
PUBLIC = {
    "owner": PRIVATE["owner"],
    "reader": {**PRIVATE["reader"], "download": 403},
    "other": {**{a: 403 for a in ACTIONS}, "show": 200, "download": 200, "members": 403},
    "admin": PRIVATE["admin"],
}


def _setup(who: Personas, visibility: str, action: str) -> dict[str, Any]:
    img = who.admin.create(owner=who.project_a, visibility=visibility, tags=["keep"])
    if action in ("download", "deactivate"):
        assert who.admin.upload(img["id"], b"data").status_code == 204
    return img


@pytest.mark.parametrize("persona", ["owner", "reader", "other", "admin"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_private_image(who: Personas, persona: str, action: str) -> None:
    img = _setup(who, "private", action)
    r = ACTIONS[action](getattr(who, persona), img)
    assert r.status_code == PRIVATE[persona][action], r.text


@pytest.mark.parametrize("persona", ["owner", "reader", "other", "admin"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_public_image(who: Personas, persona: str, action: str) -> None:
    img = _setup(who, "public", action)
    r = ACTIONS[action](getattr(who, persona), img)
    assert r.status_code == PUBLIC[persona][action], r.text


def test_list_isolation(who: Personas) -> None:
    mine = who.owner.create(visibility="private")
    shared = who.owner.create()  # shared, no members
    community = who.owner.create(visibility="community")
    public = who.admin.create(visibility="public")
    assert {mine["id"], shared["id"], community["id"], public["id"]} <= set(who.owner.ids("?limit=1000&visibility=all"))
    assert {mine["id"], shared["id"]} <= set(who.reader.ids("?limit=1000"))
    seen = set(who.other.ids("?limit=1000&visibility=all"))
    assert mine["id"] not in seen and shared["id"] not in seen
    assert community["id"] in seen and public["id"] in seen
    assert community["id"] not in who.other.ids("?limit=1000")
    assert mine["id"] in who.admin.ids("?limit=1000")
    assert who.other.ids(f"?owner={who.project_a}&visibility=private") == []


def test_reader_cannot_create(who: Personas) -> None:
    assert who.reader("POST", "/v2/images", json={"name": "x"}).status_code == 403
