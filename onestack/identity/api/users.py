"""Users, groups, membership, and a user's own password, projects and groups."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.core.web import Call, Route
from onestack.identity.api import schemas, views
from onestack.identity.api.deps import (
    deps,
    enforce,
    fetch_or_deny,
    list_target,
    scoped_domain_filter,
)


def _utarget(u: Any) -> dict[str, Any]:
    return {"user": {"id": u.id, "domain_id": u.domain_id}}


def _gtarget(g: Any) -> dict[str, Any]:
    return {"group": {"id": g.id, "domain_id": g.domain_id}}


def _user_view(call: Call, s: Any, u: Any) -> dict[str, Any]:
    return views.user(call, u, deps(call).idm.users.password_expires_at(s, u))


# ---- users ------------------------------------------------------------------------
def list_users(call: Call) -> dict[str, Any]:
    q = scoped_domain_filter(call, dict(call.query))
    enforce(call, "identity:list_users", list_target(call, q))
    idm = deps(call).idm
    with idm.db.session() as s:
        rows, trunc = idm.users.list_users(s, q)
        return views.collection(call, "users", [_user_view(call, s, u) for u in rows], trunc)


def create_user(call: Call) -> dict[str, Any]:
    body = dict(call.body["user"])
    body.setdefault("domain_id", call.ctx.domain_id or call.ctx.project_domain_id or "default")
    enforce(call, "identity:create_user", {"user": {"domain_id": body["domain_id"]}})
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.resource.get_domain(s, body["domain_id"])
        if body.get("default_project_id"):
            idm.resource.get_project(s, body["default_project_id"])
        u = idm.users.create_user(s, body)
        out = {"user": _user_view(call, s, u)}
    return out


def get_user(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        u = fetch_or_deny(call, "identity:get_user", lambda: idm.users.get_user(s, call.params["user_id"]))
        enforce(call, "identity:get_user", _utarget(u))
        return {"user": _user_view(call, s, u)}


def update_user(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        u = fetch_or_deny(call, "identity:update_user", lambda: idm.users.get_user(s, call.params["user_id"]))
        enforce(call, "identity:update_user", _utarget(u))
        u = idm.users.update_user(s, u.id, call.body["user"])
        out = {"user": _user_view(call, s, u)}
    idm.changed()
    return out


def delete_user(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        u = fetch_or_deny(call, "identity:delete_user", lambda: idm.users.get_user(s, call.params["user_id"]))
        enforce(call, "identity:delete_user", _utarget(u))
        idm.users.delete_user(s, u.id)
    idm.changed()
    return Response(status_code=204)


def change_password(call: Call) -> Response:
    """POST /v3/users/{id}/password: anyone may change their own, knowing the old one."""
    idm = deps(call).idm
    body = call.body["user"]
    idm.users.change_own_password(call.params["user_id"], body["original_password"], body["password"])
    idm.changed()
    return Response(status_code=204)


def user_projects(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        u = fetch_or_deny(call, "identity:list_user_projects", lambda: idm.users.get_user(s, call.params["user_id"]))
        enforce(call, "identity:list_user_projects", _utarget(u))
        ids = idm.roles.project_ids_for_user(s, u.id)
        rows, _ = idm.resource.list_projects(s, call.query, only_ids=ids)
        tags = idm.resource.tags_for(s, [p.id for p in rows])
        return views.collection(call, "projects", [views.project(call, p, tags[p.id]) for p in rows])


def user_groups(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        u = fetch_or_deny(call, "identity:list_groups_for_user", lambda: idm.users.get_user(s, call.params["user_id"]))
        enforce(call, "identity:list_groups_for_user", _utarget(u))
        rows, _ = idm.users.list_groups(s, scoped_domain_filter(call, dict(call.query)), user_id=u.id)
        return views.collection(call, "groups", [views.group(call, g) for g in rows])


# ---- groups -----------------------------------------------------------------------
def list_groups(call: Call) -> dict[str, Any]:
    q = scoped_domain_filter(call, dict(call.query))
    target = list_target(call, q)  # the group rules read target.group.domain_id
    enforce(call, "identity:list_groups", {"group": target} if target else None)
    idm = deps(call).idm
    with idm.db.session() as s:
        rows, trunc = idm.users.list_groups(s, q)
        return views.collection(call, "groups", [views.group(call, g) for g in rows], trunc)


def create_group(call: Call) -> dict[str, Any]:
    body = dict(call.body["group"])
    body.setdefault("domain_id", call.ctx.domain_id or call.ctx.project_domain_id or "default")
    enforce(call, "identity:create_group", {"group": {"domain_id": body["domain_id"]}})
    idm = deps(call).idm
    with idm.db.session() as s:
        idm.resource.get_domain(s, body["domain_id"])
        return {"group": views.group(call, idm.users.create_group(s, body))}


def get_group(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        g = fetch_or_deny(call, "identity:get_group", lambda: idm.users.get_group(s, call.params["group_id"]))
        enforce(call, "identity:get_group", _gtarget(g))
        return {"group": views.group(call, g)}


def update_group(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        g = fetch_or_deny(call, "identity:update_group", lambda: idm.users.get_group(s, call.params["group_id"]))
        enforce(call, "identity:update_group", _gtarget(g))
        return {"group": views.group(call, idm.users.update_group(s, g.id, call.body["group"]))}


def delete_group(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        g = fetch_or_deny(call, "identity:delete_group", lambda: idm.users.get_group(s, call.params["group_id"]))
        enforce(call, "identity:delete_group", _gtarget(g))
        idm.users.delete_group(s, g.id)
    idm.changed()
    return Response(status_code=204)


def group_users(call: Call) -> dict[str, Any]:
    idm = deps(call).idm
    with idm.db.session() as s:
        g = fetch_or_deny(call, "identity:list_users_in_group", lambda: idm.users.get_group(s, call.params["group_id"]))
        enforce(call, "identity:list_users_in_group", _gtarget(g))
        rows, _ = idm.users.list_users(s, scoped_domain_filter(call, dict(call.query)), group_id=g.id)
        return views.collection(call, "users", [_user_view(call, s, u) for u in rows])


def add_member(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        g = fetch_or_deny(call, "identity:add_user_to_group", lambda: idm.users.get_group(s, call.params["group_id"]))
        u = fetch_or_deny(call, "identity:add_user_to_group", lambda: idm.users.get_user(s, call.params["user_id"]))
        enforce(call, "identity:add_user_to_group", {**_gtarget(g), **_utarget(u)})
        idm.users.add_member(s, g.id, u.id)
    idm.changed()
    return Response(status_code=204)


def check_member(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        g = fetch_or_deny(call, "identity:check_user_in_group", lambda: idm.users.get_group(s, call.params["group_id"]))
        u = fetch_or_deny(call, "identity:check_user_in_group", lambda: idm.users.get_user(s, call.params["user_id"]))
        enforce(call, "identity:check_user_in_group", {**_gtarget(g), **_utarget(u)})
        idm.users.check_member(s, g.id, u.id)
    return Response(status_code=204)


def remove_member(call: Call) -> Response:
    idm = deps(call).idm
    with idm.db.session() as s:
        g = fetch_or_deny(call, "identity:remove_user_from_group", lambda: idm.users.get_group(s, call.params["group_id"]))
        u = fetch_or_deny(call, "identity:remove_user_from_group", lambda: idm.users.get_user(s, call.params["user_id"]))
        enforce(call, "identity:remove_user_from_group", {**_gtarget(g), **_utarget(u)})
        idm.users.remove_member(s, g.id, u.id)
    idm.changed()
    return Response(status_code=204)


ROUTES = [
    Route("GET", "/v3/users", list_users),
    Route("POST", "/v3/users", create_user, schema=schemas.user_create, status=201),
    Route("GET", "/v3/users/{user_id}", get_user),
    Route("PATCH", "/v3/users/{user_id}", update_user, schema=schemas.user_update),
    Route("DELETE", "/v3/users/{user_id}", delete_user),
    Route("POST", "/v3/users/{user_id}/password", change_password, schema=schemas.user_password, public=True),
    Route("GET", "/v3/users/{user_id}/projects", user_projects),
    Route("GET", "/v3/users/{user_id}/groups", user_groups),
    Route("GET", "/v3/groups", list_groups),
    Route("POST", "/v3/groups", create_group, schema=schemas.group_create, status=201),
    Route("GET", "/v3/groups/{group_id}", get_group),
    Route("PATCH", "/v3/groups/{group_id}", update_group, schema=schemas.group_update),
    Route("DELETE", "/v3/groups/{group_id}", delete_group),
    Route("GET", "/v3/groups/{group_id}/users", group_users),
    Route("PUT", "/v3/groups/{group_id}/users/{user_id}", add_member),
    Route("GET", "/v3/groups/{group_id}/users/{user_id}", check_member, extra_methods=("HEAD",)),
    Route("DELETE", "/v3/groups/{group_id}/users/{user_id}", remove_member),
]
