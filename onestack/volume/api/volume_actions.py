"""POST /volumes/{id}/action: one action per body, as Cinder's volume_actions
and admin_actions extensions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from onestack.core.errors import BadRequest, NotImplementedYet
from onestack.core.web import Call, json_response
from onestack.volume.api.deps import action_of, mv, vm
from onestack.volume.manager.common import parse_bool

ACCEPTED = Response(status_code=202)


def _obj(arg: Any, action: str) -> dict[str, Any]:
    if arg is None:
        return {}
    if not isinstance(arg, dict):
        raise BadRequest(f"Invalid input for field/attribute {action}: it must be an object.")
    return arg


def _required(arg: Any, action: str, key: str, message: str) -> Any:
    """``arg[key]`` of an action whose argument must hold ``key`` (400 ``message``)."""
    body = _obj(arg, action)
    if key not in body:
        raise BadRequest(message)
    return body[key]


def _attach(call: Call, vid: str, arg: Any) -> Response:
    vm(call).attachments.attach(call.ctx, vid, _obj(arg, "os-attach"))
    return Response(status_code=202)


def _detach(call: Call, vid: str, arg: Any) -> Response:
    body = _obj(arg, "os-detach")
    vm(call).attachments.detach(call.ctx, vid, body.get("attachment_id"))
    return Response(status_code=202)


def _force_detach(call: Call, vid: str, arg: Any) -> Response:
    body = _obj(arg, "os-force_detach")
    vm(call).attachments.detach(call.ctx, vid, body.get("attachment_id"), force=True,
                                connector=body.get("connector"))
    return Response(status_code=202)


def _simple(method: str) -> Callable[[Call, str, Any], Response]:
    def run(call: Call, vid: str, arg: Any) -> Response:
        getattr(vm(call).attachments, method)(call.ctx, vid)
        return Response(status_code=202)

    return run


def _init_conn(call: Call, vid: str, arg: Any) -> Response:
    connector = _required(arg, "os-initialize_connection", "connector", "Must specify 'connector'")
    info = vm(call).attachments.initialize_connection(call.ctx, vid, connector)
    return json_response({"connection_info": info}, 200)


def _term_conn(call: Call, vid: str, arg: Any) -> Response:
    connector = _required(arg, "os-terminate_connection", "connector", "Must specify 'connector'")
    vm(call).attachments.terminate_connection(call.ctx, vid, connector)
    return Response(status_code=202)


def _extend(call: Call, vid: str, arg: Any) -> Response:
    size = _required(arg, "os-extend", "new_size",
                     "Invalid input for field/attribute os-extend. 'new_size' is a required property")
    vm(call).volumes.extend(call.ctx, vid, size, allow_in_use=mv(call) >= (3, 42))
    return Response(status_code=202)


def _bootable(call: Call, vid: str, arg: Any) -> Response:
    flag = _required(arg, "os-set_bootable", "bootable", "Must specify bootable in request.")
    vm(call).volumes.set_bootable(call.ctx, vid, flag)
    return Response(status_code=200)


def _readonly(call: Call, vid: str, arg: Any) -> Response:
    flag = _required(arg, "os-update_readonly_flag", "readonly", "Must specify readonly in request.")
    vm(call).volumes.set_readonly(call.ctx, vid, flag)
    return Response(status_code=202)


def _upload(call: Call, vid: str, arg: Any) -> Response:
    body = _obj(arg, "os-volume_upload_image")
    out = vm(call).volumes.upload_to_image(call.ctx, vid, body, mv(call) >= (3, 1))
    from onestack.volume.api.views import _t

    out["updated_at"] = _t(out["updated_at"])
    vt = out.get("volume_type")
    if vt:
        vt["created_at"], vt["updated_at"] = _t(vt["created_at"]), _t(vt["updated_at"])
    return json_response({"os-volume_upload_image": out}, 202)


def _set_image_meta(call: Call, vid: str, arg: Any) -> Response:
    meta = _required(arg, "os-set_image_metadata", "metadata", "Malformed request body: 'metadata' is required.")
    merged = vm(call).volumes.image_metadata.set(call.ctx, vid, meta, replace=False)
    return json_response({"metadata": merged}, 200)


def _unset_image_meta(call: Call, vid: str, arg: Any) -> Response:
    body = _obj(arg, "os-unset_image_metadata")
    vm(call).volumes.image_metadata.delete(call.ctx, vid, body.get("key"))
    return Response(status_code=200)


def _show_image_meta(call: Call, vid: str, arg: Any) -> Response:
    return json_response({"metadata": vm(call).volumes.image_metadata.get(call.ctx, vid)}, 200)


def _reset_status(call: Call, vid: str, arg: Any) -> Response:
    body = _obj(arg, "os-reset_status")
    if not body:
        raise BadRequest("Must specify 'status', 'attach_status' or 'migration_status' for update.")
    vm(call).volumes.reset_status(call.ctx, vid, body)
    return Response(status_code=202)


def _force_delete(call: Call, vid: str, arg: Any) -> Response:
    vm(call).volumes.delete(call.ctx, vid, cascade=True, force=True)
    return Response(status_code=202)


def _retype(call: Call, vid: str, arg: Any) -> Response:
    body = _obj(arg, "os-retype")
    new_type = body.get("new_type")
    if not isinstance(new_type, str) or not new_type:
        raise BadRequest("New volume type must be specified.")
    policy = body.get("migration_policy", "never")
    if policy not in ("never", "on-demand", None):
        raise BadRequest(f"Invalid migration_policy {policy}.")
    vm(call).volumes.retype(call.ctx, vid, new_type)
    return Response(status_code=202)


def _unsupported(name: str) -> Callable[[Call, str, Any], Response]:
    def run(call: Call, vid: str, arg: Any) -> Response:
        vm(call).volumes.get(call.ctx, vid)
        raise NotImplementedYet(f"The action {name} is not supported by this cloud.")

    return run


ACTIONS: dict[str, Callable[[Call, str, Any], Response]] = {
    "os-attach": _attach,
    "os-detach": _detach,
    "os-force_detach": _force_detach,
    "os-reserve": _simple("reserve"),
    "os-unreserve": _simple("unreserve"),
    "os-begin_detaching": _simple("begin_detaching"),
    "os-roll_detaching": _simple("roll_detaching"),
    "os-initialize_connection": _init_conn,
    "os-terminate_connection": _term_conn,
    "os-extend": _extend,
    "os-set_bootable": _bootable,
    "os-update_readonly_flag": _readonly,
    "os-volume_upload_image": _upload,
    "os-set_image_metadata": _set_image_meta,
    "os-unset_image_metadata": _unset_image_meta,
    "os-show_image_metadata": _show_image_meta,
    "os-reset_status": _reset_status,
    "os-force_delete": _force_delete,
    "os-retype": _retype,
    "os-migrate_volume": _unsupported("os-migrate_volume"),
    "os-migrate_volume_completion": _unsupported("os-migrate_volume_completion"),
    "os-reimage": _unsupported("os-reimage"),
    "revert": _unsupported("revert"),
    "os-extend_volume_completion": _unsupported("os-extend_volume_completion"),
}


def action(call: Call) -> Response:
    name, arg = action_of(call)
    fn = ACTIONS.get(name)
    if fn is None:
        raise BadRequest(f"There is no such action: {name}")
    return fn(call, call.params["volume_id"], arg)


__all__ = ["ACCEPTED", "action", "parse_bool"]
