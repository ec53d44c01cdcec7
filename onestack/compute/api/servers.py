"""/servers: list, detail, show, create, update, delete."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api import views, volume_attachments
from onestack.compute.api.schemas import servers as schema
from onestack.compute.manager import networking
from onestack.compute.microversions import Version
from onestack.compute.models import Instance
from onestack.core.errors import BadRequest
from onestack.core.web import Call, json_response

# query parameters GET /servers knows (2.75+ answers 400 for any other)
KNOWN_QUERY = {
    "all_tenants", "project_id", "tenant_id", "deleted", "changes-since", "changes-before", "status",
    "name", "image", "flavor", "reservation_id", "availability_zone", "key_name", "user_id",
    "description", "config_drive", "host", "node", "hostname", "uuid", "vm_state", "task_state",
    "locked", "tags", "tags-any", "not-tags", "not-tags-any", "sort_key", "sort_dir", "limit", "marker",
    "ip", "ip6", "created_at", "launched_at", "terminated_at", "power_state", "progress",
    "access_ip_v4", "access_ip_v6", "launch_index", "root_device_name", "kernel_id", "ramdisk_id",
    "display_name", "display_description", "locked_by", "pinned_availability_zone",
}


def _list(call: Call, rule: str) -> tuple[list[Instance], Version, bool]:
    d.authorize(call, rule)
    v = d.mv(call)
    q: dict[str, list[str]] = {}
    for k, val in call.query.multi_items():
        q.setdefault(k, []).append(val)
    if v >= (2, 75):
        unknown = sorted(set(q) - KNOWN_QUERY)
        if unknown:
            raise BadRequest(f"Invalid input for query parameters {unknown[0]}. Additional properties are "
                             f"not allowed ('{unknown[0]}' was unexpected)")
    admin = d.allowed(call, rule + ":get_all_tenants")
    if "all_tenants" in q and not admin:
        d.authorize(call, rule + ":get_all_tenants")
    return d.cm(call).lister.list(call.ctx, q, admin=admin, version=v), v, admin


def _links(call: Call, collection: str, items: list[Instance]) -> dict[str, Any]:
    limit = d.qint(call, "limit")
    if limit is not None:
        limit = min(limit, 1000)
    nxt = d.next_link(call, collection, items, limit, lambda i: i.uuid)
    return {"servers_links": nxt} if nxt else {}


def index(call: Call) -> dict[str, Any]:
    items, _, _ = _list(call, "servers:index")
    return {"servers": [views.server_brief(call, i) for i in items], **_links(call, "servers", items)}


def detail(call: Call) -> dict[str, Any]:
    items, v, _ = _list(call, "servers:detail")
    admin = d.allowed(call, "os-extended-server-attributes")
    tags = d.cm(call).servers.tags([i.uuid for i in items]) if v >= (2, 26) else {}
    show_specs = d.allowed(call, "servers:show:flavor-extra-specs")
    hs = _host_status(call, v)
    out = [views.server_detail(call, i, v, admin=admin, tags=tags.get(i.uuid),
                               host_status=hs(i) if hs else None, show_specs=show_specs)
           for i in items]
    _add_security_groups(call, out, items)
    volume_attachments.add_volumes_attached(call, out)
    return {"servers": out, **_links(call, "servers/detail", items)}


def _add_security_groups(call: Call, servers: list[dict[str, Any]], insts: list[Instance]) -> None:
    """nova's ``security_groups`` ([{"name": ...}]), on servers that have any; with
    the network service also ``addresses``, both from the servers' ports (one
    batched call for the page)."""
    cm = d.cm(call)
    if cm.net.enabled:
        order = {i.uuid: i.networks for i in insts}
        ports = cm.net.ports([srv["id"] for srv in servers])
        for srv in servers:
            mine = networking.ordered(ports.get(srv["id"]) or [], order.get(srv["id"]))
            srv["addresses"] = networking.addresses(mine)
            groups = list(dict.fromkeys(n for p in mine for n in p.get("security_group_names") or []))
            if groups:
                srv["security_groups"] = [{"name": n} for n in groups]
        return
    names = cm.secgroups.names([srv["id"] for srv in servers])
    for srv in servers:
        if names.get(srv["id"]):
            srv["security_groups"] = [{"name": n} for n in names[srv["id"]]]


def _host_status(call: Call, v: Version) -> Any:
    if v < (2, 16) or not d.allowed(call, "servers:show:host_status"):
        return None
    nodes = {n.host: n for n in d.cm(call).hosts.nodes()}

    def status(inst: Instance) -> str:
        n = nodes.get(inst.host or "")
        if n is None:
            return ""
        if n.forced_down:
            return "DOWN"
        return "MAINTENANCE" if n.disabled else "UP"

    return status


# what PUT and rebuild left out of their server view before 2.75
_NOT_IN_MINIMAL = ("OS-EXT-", "OS-SRV-USG:", "os-extended-volumes:", "config_drive", "key_name",
                   "host_status", "server_groups")


def render(call: Call, inst: Instance, *, minimal: bool = False) -> dict[str, Any]:
    v = d.mv(call)
    cm = d.cm(call)
    minimal = minimal and v < (2, 75)
    tags = cm.servers.tags([inst.uuid])[inst.uuid] if v >= (2, 26) else None
    groups = cm.servers.groups(inst.uuid) if v >= (2, 71) and not minimal else None
    hs = _host_status(call, v)
    out = views.server_detail(call, inst, v, admin=d.allowed(call, "os-extended-server-attributes"),
                              tags=tags, groups=groups, host_status=hs(inst) if hs else None,
                              show_specs=d.allowed(call, "servers:show:flavor-extra-specs"))
    if minimal:
        out = {k: val for k, val in out.items() if not k.startswith(_NOT_IN_MINIMAL)}
        if cm.net.enabled:  # nova: no OS-EXT-IPS* in the addresses of PUT and rebuild before 2.75
            out["addresses"] = networking.addresses(cm.net.server_ports(inst.uuid, inst.networks), extended=False)
    else:
        _add_security_groups(call, [out], [inst])
        volume_attachments.add_volumes_attached(call, [out])
    return out


def get_authorized(call: Call, rule: str) -> Instance:
    inst = d.cm(call).servers.get(call.ctx, call.params["server_id"])
    d.authorize(call, rule, inst.project_id)
    return inst


def show(call: Call) -> dict[str, Any]:
    return {"server": render(call, get_authorized(call, "servers:show"))}


def create(call: Call) -> Response:
    d.authorize(call, "servers:create")
    body = d.validate(call, schema.create)
    v = d.mv(call)
    srv = dict(body["server"])
    for key in ("min_count", "max_count"):
        if key in srv:
            srv[key] = int(srv[key])
    if d.cm(call).volume is None and (srv.get("block_device_mapping") or any(
            b.get("destination_type") == "volume" or b.get("source_type") in ("volume", "snapshot")
            for b in srv.get("block_device_mapping_v2") or [])):
        raise BadRequest("Block device mappings with volumes need the block storage service, "
                         "which this cloud does not have yet.")
    if srv.get("host") or srv.get("hypervisor_hostname"):
        d.authorize(call, "servers:create:forced_host")
    if isinstance(srv.get("config_drive"), str):
        srv["config_drive"] = srv["config_drive"].lower() in ("true", "1", "on", "yes", "y", "t")
    hints = body.get("os:scheduler_hints") or body.get("OS-SCH-HNT:scheduler_hints") or {}
    admin = d.is_admin(call)
    result = d.cm(call).servers.create(call.ctx, srv, hints, v, admin)
    rrid = srv.get("return_reservation_id")
    if rrid in (True,) or (isinstance(rrid, str) and rrid.lower() in ("true", "1", "on", "yes", "y", "t")):
        return json_response({"reservation_id": result.reservation_id}, 202)
    first = result.instances[0]
    out: dict[str, Any] = {"id": first.uuid, "links": d.links(call, "servers", first.uuid),
                           "OS-DCF:diskConfig": first.disk_config, "adminPass": result.admin_pass}
    return json_response({"server": out}, 202, {"Location": f"{d.root(call)}/servers/{first.uuid}"})


def update(call: Call) -> dict[str, Any]:
    body = d.validate(call, schema.update)
    inst = get_authorized(call, "servers:update")
    inst = d.cm(call).servers.update(call.ctx, inst.uuid, body["server"])
    return {"server": render(call, inst, minimal=True)}


def delete(call: Call) -> Response:
    inst = get_authorized(call, "servers:delete")
    d.cm(call).servers.delete(call.ctx, inst.uuid)
    return Response(status_code=204)
