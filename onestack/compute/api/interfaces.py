"""``/servers/{id}/os-interface`` (attach/detach NICs) and ``/servers/{id}/ips``,
views of the server's ports in the network service.  Without the network service
both answer 404, as for any resource this cloud does not have.

``addFixedIp``/``removeFixedIp`` (deprecated since 2.44) are not implemented."""

from __future__ import annotations

import functools
from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api.servers import get_authorized
from onestack.compute.manager import networking
from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call, json_response

_UUID = {"type": "string", "pattern": "^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$"}


def _schema(v: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "net_id": _UUID, "port_id": _UUID,
        "fixed_ips": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
            "type": "object", "properties": {"ip_address": {"type": "string", "anyOf": [
                {"format": "ipv4"}, {"format": "ipv6"}]}},
            "required": ["ip_address"], "additionalProperties": False}},
    }
    if v >= (2, 49):
        props["tag"] = {"type": "string", "pattern": "^[^,/]*$", "maxLength": 60}
    return {"type": "object", "properties": {"interfaceAttachment": {
        "type": "object", "properties": props, "additionalProperties": False}}, "additionalProperties": False}


def _enabled(call: Call) -> None:
    if not d.cm(call).net.enabled:
        raise NotFound("The resource could not be found.")


def _node(call: Call, host: str) -> Any:
    return functools.partial(d.cm(call).node_call, host)


def _view(call: Call, port: dict[str, Any]) -> dict[str, Any]:
    return networking.interface_view(port, with_tag=d.mv(call) >= (2, 70))


def index(call: Call) -> dict[str, Any]:
    _enabled(call)
    inst = get_authorized(call, "os-attach-interfaces:list")
    ports = d.cm(call).net.server_ports(inst.uuid, inst.networks)
    return {"interfaceAttachments": [_view(call, p) for p in ports]}


def show(call: Call) -> dict[str, Any]:
    _enabled(call)
    inst = get_authorized(call, "os-attach-interfaces:show")
    port_id = call.params["port_id"]
    for p in d.cm(call).net.server_ports(inst.uuid, inst.networks):
        if p["id"] == port_id:
            return {"interfaceAttachment": _view(call, p)}
    raise NotFound(f"Instance {inst.uuid} does not have a port with id {port_id}")


def create(call: Call) -> Response:
    _enabled(call)
    body = d.validate(call, _schema)
    inst = get_authorized(call, "os-attach-interfaces:create")
    att = body.get("interfaceAttachment") or {}
    net_id, port_id = att.get("net_id"), att.get("port_id")
    fixed_ips = att.get("fixed_ips")
    if net_id and port_id:
        raise BadRequest("Must not input both network_id and port_id")
    if fixed_ips and not net_id:
        raise BadRequest("Must input network_id when request IP address")
    net = d.cm(call).net
    port = net.attach(call.ctx, inst, _node(call, inst.host or ""), net_id, port_id, fixed_ips)
    return json_response({"interfaceAttachment": _view(call, port)}, 200)


def delete(call: Call) -> Response:
    _enabled(call)
    inst = get_authorized(call, "os-attach-interfaces:delete")
    d.cm(call).net.detach(call.ctx, inst, _node(call, inst.host or ""), call.params["port_id"])
    return Response(status_code=202)


# ---- /servers/{id}/ips -------------------------------------------------------------------
def ips_index(call: Call) -> dict[str, Any]:
    inst = get_authorized(call, "ips:index")
    cm = d.cm(call)
    ports = cm.net.server_ports(inst.uuid, inst.networks) if cm.net.enabled else []
    return {"addresses": networking.addresses(ports, extended=False)}


def ips_show(call: Call) -> dict[str, Any]:
    inst = get_authorized(call, "ips:show")
    cm = d.cm(call)
    ports = cm.net.server_ports(inst.uuid, inst.networks) if cm.net.enabled else []
    label = call.params["network_label"]
    addrs = networking.addresses(ports, extended=False)
    if label not in addrs:
        raise NotFound("Instance is not a member of specified network")
    return {label: addrs[label]}
