"""/os-keypairs: per user; admins may act for another user (2.10+)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api.schemas import common as t
from onestack.compute.microversions import Version
from onestack.compute.models import KeyPair
from onestack.core.web import Call, json_response


def _schema(v: Version) -> dict[str, Any]:
    props: dict[str, Any] = {"name": {"type": "string", "minLength": 1, "maxLength": 255},
                             "public_key": {"type": "string"}}
    if v >= (2, 2):
        props["type"] = {"type": "string", "enum": ["ssh", "x509"]}
    if v >= (2, 10):
        props["user_id"] = {"type": "string"}
    required = ["name"] + (["public_key"] if v >= (2, 92) else [])
    return t.wrap("keypair", t.obj(props, required))


def _user(call: Call, body_user: str | None = None) -> str:
    user = body_user or (call.query.get("user_id") if d.mv(call) >= (2, 10) else None)
    return user or call.ctx.user_id or ""


def _view(kp: KeyPair, v: Version, *, full: bool = False, user: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": kp.name, "public_key": kp.public_key, "fingerprint": kp.fingerprint}
    if v >= (2, 2):
        out["type"] = kp.type
    if user or full:
        out["user_id"] = kp.user_id
    if full:
        out.update({"created_at": kp.created_at.replace(tzinfo=None).isoformat(timespec="microseconds"),
                    "deleted": False, "deleted_at": None, "updated_at": None, "id": kp.id})
    return out


def index(call: Call) -> dict[str, Any]:
    user = _user(call)
    d.authorize(call, "os-keypairs:index", user_id=user)
    v = d.mv(call)
    limit = d.qint(call, "limit") if v >= (2, 35) else None
    marker = call.query.get("marker") if v >= (2, 35) else None
    items = d.cm(call).keypairs.list(user, limit=limit, marker=marker)
    out: dict[str, Any] = {"keypairs": [{"keypair": _view(k, v)} for k in items]}
    nxt = d.next_link(call, "os-keypairs", items, limit, lambda k: k.name)
    if nxt:
        out["keypairs_links"] = nxt
    return out


def show(call: Call) -> dict[str, Any]:
    user = _user(call)
    d.authorize(call, "os-keypairs:show", user_id=user)
    kp = d.cm(call).keypairs.get(user, call.params["name"])
    return {"keypair": _view(kp, d.mv(call), full=True)}


def create(call: Call) -> Response:
    body = d.validate(call, _schema)["keypair"]
    v = d.mv(call)
    user = _user(call, body.get("user_id"))
    d.authorize(call, "os-keypairs:create", user_id=user)
    kind = body.get("type", "ssh")
    kp, private = d.cm(call).keypairs.create(user, call.ctx.project_id or "", body["name"], kind,
                                             body.get("public_key"))
    out = _view(kp, v, user=True)
    if private is not None:
        out["private_key"] = private
    return json_response({"keypair": out}, 201 if v >= (2, 2) else 200)


def delete(call: Call) -> Response:
    user = _user(call)
    d.authorize(call, "os-keypairs:delete", user_id=user)
    d.cm(call).keypairs.delete(user, call.params["name"])
    return Response(status_code=204 if d.mv(call) >= (2, 2) else 202)
