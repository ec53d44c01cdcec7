"""POST /servers/{server_id}/action: one action per body."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from onestack.compute.api import deps as d
from onestack.compute.api.schemas import servers as schema
from onestack.compute.api.servers import get_authorized, render
from onestack.core.errors import BadRequest, NotFound
from onestack.core.web import Call, json_response

# action -> policy rule (without the os_compute_api: prefix)
RULES = {
    "reboot": "servers:reboot", "os-stop": "servers:stop", "os-start": "servers:start",
    "pause": "os-pause-server:pause", "unpause": "os-pause-server:unpause",
    "suspend": "os-suspend-server:suspend", "resume": "os-suspend-server:resume",
    "lock": "os-lock-server:lock", "unlock": "os-lock-server:unlock",
    "rescue": "os-rescue", "unrescue": "os-unrescue", "rebuild": "servers:rebuild",
    "resize": "servers:resize", "confirmResize": "servers:confirm_resize",
    "revertResize": "servers:revert_resize", "createImage": "servers:create_image",
    "os-getConsoleOutput": "os-console-output", "os-resetState": "os-admin-actions:reset_state",
    "addSecurityGroup": "os-security-groups:add", "removeSecurityGroup": "os-security-groups:remove",
}
_ACCEPTED = Response(status_code=202)


def action(call: Call) -> Any:
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise BadRequest("There is no such action: the body must name exactly one action")
    name, arg = next(iter(body.items()))
    factory = schema.ACTIONS.get(name)
    if factory is None or name not in RULES:
        raise BadRequest(f"There is no such action: {name}")
    call.body = arg
    d.validate(call, factory)
    inst = get_authorized(call, RULES[name])
    cm = d.cm(call)
    uuid, v = inst.uuid, d.mv(call)
    if name == "reboot":
        cm.actions.reboot(call.ctx, uuid, arg["type"].upper() == "HARD")
    elif name in ("os-stop", "os-start", "pause", "unpause", "suspend", "resume", "unrescue"):
        cm.actions.simple(call.ctx, uuid, name)
    elif name == "lock":
        cm.actions.lock(call.ctx, uuid, (arg or {}).get("locked_reason") if v >= (2, 73) else None)
    elif name == "unlock":
        cm.actions.unlock(call.ctx, uuid, d.allowed(call, "os-lock-server:unlock:unlock_override",
                                                    inst.project_id))
    elif name == "rescue":
        password = cm.actions.rescue(call.ctx, uuid, arg or {})
        return {"adminPass": password}
    elif name == "rebuild":
        password = cm.actions.rebuild(call.ctx, uuid, arg, v)
        server = render(call, cm.servers.get(call.ctx, uuid), minimal=True)
        server["adminPass"] = password
        return json_response({"server": server}, 202)
    elif name == "resize":
        cm.actions.resize(call.ctx, uuid, arg["flavorRef"])
    elif name == "confirmResize":
        cm.actions.confirm_resize(call.ctx, uuid)
        return Response(status_code=204)
    elif name == "revertResize":
        cm.actions.revert_resize(call.ctx, uuid)
    elif name == "createImage":
        image_id = cm.actions.create_image(call.ctx, uuid, arg["name"], arg.get("metadata") or {})
        if v >= (2, 45):
            return json_response({"image_id": image_id}, 202)
        return Response(status_code=202, headers={"Location": f"{d.bookmark(call)}/images/{image_id}"})
    elif name == "os-getConsoleOutput":
        length = (arg or {}).get("length")
        n = None if length is None else int(length)
        if n is not None and n < -1:
            raise BadRequest("Invalid input for field/attribute length.")
        try:
            out = cm.actions.console_output(call.ctx, uuid, None if n in (None, -1) else n,
                                            cm.worker_for(inst.host or ""))
        except NotFound:
            raise
        return {"output": out}
    elif name == "os-resetState":
        cm.actions.reset_state(call.ctx, uuid, arg["state"])
    elif name in ("addSecurityGroup", "removeSecurityGroup"):
        if not isinstance(arg, dict):
            raise BadRequest("Missing parameter dict")
        if "name" not in arg:
            raise BadRequest("Security group not specified")
        group = arg["name"]
        if not isinstance(group, str) or not group.strip():
            raise BadRequest("Security group name cannot be empty")
        if name == "addSecurityGroup":
            cm.secgroups.add_to_server(call.ctx, uuid, group)
        else:
            cm.secgroups.remove_from_server(call.ctx, uuid, group)
    return Response(status_code=202)
