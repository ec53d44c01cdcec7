"""Parameter types shared by the compute schemas (upstream's parameter_types)."""

from __future__ import annotations

from typing import Any

name = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^(?![\s])[\s\S]*(?<![\s])$|^$"}
name_with_spaces = {"type": "string", "minLength": 1, "maxLength": 255}
description = {"type": ["string", "null"], "minLength": 0, "maxLength": 255}
metadata = {
    "type": "object",
    "patternProperties": {r"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255}},
    "additionalProperties": False,
}
metadata_any_key = {
    "type": "object",
    "propertyNames": {"minLength": 1, "maxLength": 255},
    "additionalProperties": {"type": "string", "maxLength": 255},
}
positive_integer: dict[str, Any] = {
    "type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 1, "minLength": 1}
non_negative_integer: dict[str, Any] = {
    "type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 0, "minLength": 1}
boolean = {"type": ["boolean", "string"],
           "enum": [True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y", "t",
                    False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no", "n", "f"]}
tag = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[^,/]*$"}
hostname = {"type": "string", "minLength": 1, "maxLength": 63, "pattern": r"^[a-zA-Z0-9-._]*$"}
fqdn = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[a-zA-Z0-9-._]*$"}
admin_password = {"type": "string"}
ipv4 = {"type": "string", "format": "ipv4"}
ipv6 = {"type": "string", "format": "ipv6"}
disk_config = {"type": "string", "enum": ["AUTO", "MANUAL"]}


def obj(props: dict[str, Any], required: list[str] | None = None, extra: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": extra}
    if required:
        out["required"] = required
    return out


def wrap(key: str, inner: dict[str, Any]) -> dict[str, Any]:
    return obj({key: inner}, [key])
