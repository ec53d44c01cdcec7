"""Server create/update/rebuild and action bodies, per microversion."""

from __future__ import annotations

from typing import Any

from onestack.compute.api.schemas import common as t
from onestack.compute.microversions import Version

_network = t.obj({"uuid": {"type": "string"}, "port": {"type": ["string", "null"]},
                  "fixed_ip": {"type": "string"}, "tag": t.tag})
_bdm_v2 = {"type": "object", "additionalProperties": True}


def create(v: Version) -> dict[str, Any]:
    networks: dict[str, Any] = {"type": "array", "items": _network}
    if v >= (2, 37):
        networks = {"oneOf": [networks, {"type": "string", "enum": ["none", "auto"]}]}
    props: dict[str, Any] = {
        "name": t.name if v < (2, 90) else t.name_with_spaces,
        "imageRef": {"type": "string"},
        "flavorRef": {"type": ["string", "integer"], "minLength": 1},
        "adminPass": t.admin_password,
        "metadata": t.metadata_any_key,
        "networks": networks,
        "OS-DCF:diskConfig": t.disk_config,
        "accessIPv4": t.ipv4, "accessIPv6": t.ipv6,
        "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
        "block_device_mapping": {"type": "array", "items": {"type": "object"}},
        "block_device_mapping_v2": {"type": "array", "items": _bdm_v2},
        "config_drive": t.boolean,
        "key_name": t.name_with_spaces,
        "min_count": t.positive_integer, "max_count": t.positive_integer,
        "return_reservation_id": t.boolean,
        "security_groups": {"type": "array", "items": t.obj({"name": {"type": "string"}})},
        "user_data": {"type": "string", "maxLength": 65535},
    }
    if v < (2, 57):
        props["personality"] = {"type": "array", "items": t.obj(
            {"path": {"type": "string"}, "contents": {"type": "string"}})}
    if v >= (2, 19):
        props["description"] = t.description
    if v >= (2, 52):
        props["tags"] = {"type": "array", "items": t.tag, "maxItems": 50}
    if v >= (2, 63):
        props["trusted_image_certificates"] = {"type": ["array", "null"], "items": {"type": "string"}}
    if v >= (2, 74):
        props["host"] = {"type": "string"}
        props["hypervisor_hostname"] = {"type": "string"}
    if v >= (2, 90):
        props["hostname"] = t.fqdn if v >= (2, 94) else t.hostname
    required = ["name", "flavorRef"] + (["networks"] if v >= (2, 37) else [])
    hints = {"type": "object", "properties": {"group": {"type": "string", "format": "uuid"}},
             "additionalProperties": True}
    return t.obj({"server": t.obj(props, required), "os:scheduler_hints": hints,
                  "OS-SCH-HNT:scheduler_hints": hints}, ["server"])


def update(v: Version) -> dict[str, Any]:
    props: dict[str, Any] = {"name": t.name if v < (2, 90) else t.name_with_spaces,
                             "OS-DCF:diskConfig": t.disk_config, "accessIPv4": t.ipv4, "accessIPv6": t.ipv6}
    if v >= (2, 19):
        props["description"] = t.description
    if v >= (2, 90):
        props["hostname"] = t.fqdn if v >= (2, 94) else t.hostname
    return t.wrap("server", t.obj(props))


def rebuild(v: Version) -> dict[str, Any]:
    props: dict[str, Any] = {
        "imageRef": {"type": "string", "minLength": 1}, "name": t.name, "adminPass": t.admin_password,
        "metadata": t.metadata_any_key, "preserve_ephemeral": t.boolean, "OS-DCF:diskConfig": t.disk_config,
        "accessIPv4": t.ipv4, "accessIPv6": t.ipv6,
    }
    if v < (2, 57):
        props["personality"] = {"type": "array", "items": {"type": "object"}}
    if v >= (2, 19):
        props["description"] = t.description
    if v >= (2, 54):
        props["key_name"] = {"type": ["string", "null"]}
    if v >= (2, 57):
        props["user_data"] = {"type": ["string", "null"], "maxLength": 65535}
    if v >= (2, 63):
        props["trusted_image_certificates"] = {"type": ["array", "null"], "items": {"type": "string"}}
    if v >= (2, 90):
        props["hostname"] = t.fqdn if v >= (2, 94) else t.hostname
    return t.wrap("rebuild", t.obj(props, ["imageRef"]))


def action(v: Version) -> dict[str, Any]:
    """One action per body; each action's own schema is in ACTIONS."""
    return {"type": "object", "minProperties": 1, "maxProperties": 1}


_null_or_empty = {"type": ["object", "null"]}
_lock_props: dict[str, Any] = {}


def lock(v: Version) -> dict[str, Any]:
    if v >= (2, 73):
        return {"oneOf": [{"type": "null"}, t.obj({"locked_reason": {"type": "string", "minLength": 1,
                                                                      "maxLength": 255}})]}
    return _null_or_empty


ACTIONS: dict[str, Any] = {
    "reboot": lambda v: t.obj({"type": {"type": "string", "enum": ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"]}},
                              ["type"]),
    "os-stop": lambda v: _null_or_empty, "os-start": lambda v: _null_or_empty,
    "pause": lambda v: _null_or_empty, "unpause": lambda v: _null_or_empty,
    "suspend": lambda v: _null_or_empty, "resume": lambda v: _null_or_empty,
    "lock": lock, "unlock": lambda v: _null_or_empty,
    "unrescue": lambda v: _null_or_empty, "confirmResize": lambda v: _null_or_empty,
    "revertResize": lambda v: _null_or_empty,
    "rescue": lambda v: {"type": ["object", "null"], "properties": {
        "adminPass": t.admin_password, "rescue_image_ref": {"type": "string", "format": "uuid"}},
        "additionalProperties": False},
    "rebuild": lambda v: rebuild(v)["properties"]["rebuild"],
    "resize": lambda v: t.obj({"flavorRef": {"type": ["string", "integer"], "minLength": 1},
                               "OS-DCF:diskConfig": t.disk_config}, ["flavorRef"]),
    "createImage": lambda v: t.obj({"name": t.name, "metadata": t.metadata_any_key}, ["name"]),
    "os-getConsoleOutput": lambda v: t.obj({"length": {"type": ["integer", "string", "null"],
                                                        "pattern": "^-?[0-9]+$"}}),
    "os-resetState": lambda v: t.obj({"state": {"type": "string", "enum": ["active", "error"]}}, ["state"]),
    # checked by the handler, with nova's messages
    "addSecurityGroup": lambda v: {}, "removeSecurityGroup": lambda v: {},
}
