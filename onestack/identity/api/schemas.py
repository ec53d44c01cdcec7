"""Request schemas for the identity API (upstream's shapes: names, booleans,
unknown top-level keys refused where upstream refuses them)."""

from __future__ import annotations

from typing import Any

NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"[\S]+"}
NAME64 = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"[\S]+"}
ID = {"type": "string", "minLength": 1, "maxLength": 64}
NULLABLE_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": 64}
DESCRIPTION = {"type": ["string", "null"]}
BOOL = {"type": "boolean"}
TAGS = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 255,
                                   "pattern": "^[^,/]*$"}, "maxItems": 80, "uniqueItems": True}


def wrap(key: str, props: dict[str, Any], required: tuple[str, ...] = (), extra: bool = True,
         min_props: int = 0) -> dict[str, Any]:
    inner: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": extra}
    if required:
        inner["required"] = list(required)
    if min_props:
        inner["minProperties"] = min_props
    return {"type": "object", "properties": {key: inner}, "required": [key]}


DOMAIN = {"name": NAME64, "description": DESCRIPTION, "enabled": BOOL, "tags": TAGS,
          "explicit_domain_id": ID, "options": {"type": "object"}}
domain_create = wrap("domain", DOMAIN, ("name",))
domain_update = wrap("domain", {k: v for k, v in DOMAIN.items() if k != "explicit_domain_id"}, min_props=1)

PROJECT = {"name": NAME64, "description": DESCRIPTION, "enabled": BOOL, "tags": TAGS,
           "domain_id": NULLABLE_ID, "parent_id": NULLABLE_ID, "is_domain": BOOL,
           "options": {"type": "object"}}
project_create = wrap("project", PROJECT, ("name",))
project_update = wrap("project", PROJECT, min_props=1)
tags_update = {"type": "object", "properties": {"tags": TAGS}, "required": ["tags"], "additionalProperties": False}

PASSWORD = {"type": ["string", "null"]}
USER = {"name": NAME, "domain_id": ID, "default_project_id": NULLABLE_ID, "description": DESCRIPTION,
        "enabled": BOOL, "password": PASSWORD, "email": {"type": ["string", "null"]},
        "options": {"type": "object"}, "federated": {"type": "array"}}
user_create = wrap("user", USER, ("name",))
user_update = wrap("user", USER, min_props=1)
user_password = wrap("user", {"password": {"type": "string"}, "original_password": {"type": "string"}},
                     ("password", "original_password"), extra=False)

GROUP = {"name": NAME64, "domain_id": ID, "description": DESCRIPTION}
group_create = wrap("group", GROUP, ("name",))
group_update = wrap("group", GROUP, min_props=1)

ROLE = {"name": NAME, "domain_id": NULLABLE_ID, "description": DESCRIPTION, "options": {"type": "object"}}
role_create = wrap("role", ROLE, ("name",))
role_update = wrap("role", ROLE, min_props=1)

REGION = {"id": {"type": "string", "minLength": 1, "maxLength": 255}, "description": DESCRIPTION,
          "parent_region_id": {"type": ["string", "null"]}}
region_create = wrap("region", REGION)
region_update = wrap("region", REGION)

SERVICE = {"type": {"type": "string", "minLength": 1, "maxLength": 255}, "enabled": BOOL,
           "name": {"type": ["string", "null"]}, "description": DESCRIPTION}
service_create = wrap("service", SERVICE, ("type",))
service_update = wrap("service", SERVICE, min_props=1)

URL = {"type": "string", "minLength": 1, "maxLength": 225, "pattern": r"^[a-zA-Z0-9+.-]+:.+"}
ENDPOINT = {"service_id": ID, "interface": {"type": "string", "enum": ["public", "internal", "admin"]},
            "url": URL, "region_id": {"type": ["string", "null"]}, "region": {"type": ["string", "null"]},
            "enabled": BOOL}
endpoint_create = wrap("endpoint", ENDPOINT, ("service_id", "interface", "url"))
endpoint_update = wrap("endpoint", ENDPOINT, min_props=1)

ACCESS_RULE = {"type": "object", "properties": {
    "id": ID, "service": {"type": "string", "minLength": 1, "maxLength": 64},
    "path": {"type": "string", "minLength": 1, "maxLength": 128},
    "method": {"type": "string", "enum": ["HEAD", "GET", "POST", "PUT", "PATCH", "DELETE"]}},
    # an existing rule by id, or a whole new one
    "anyOf": [{"required": ["id"], "maxProperties": 1}, {"required": ["service", "path", "method"]}],
    "additionalProperties": False}
app_cred_create = wrap("application_credential", {
    "name": NAME, "description": DESCRIPTION, "secret": {"type": ["string", "null"], "minLength": 1},
    "expires_at": {"type": ["string", "null"]},
    "roles": {"type": "array", "items": {"type": "object", "properties": {"id": ID, "name": NAME},
                                          "minProperties": 1, "maxProperties": 2,
                                          "additionalProperties": False}},
    "unrestricted": {"type": ["boolean", "null"]},
    "access_rules": {"type": "array", "items": ACCESS_RULE},
}, ("name",), extra=False)

CREDENTIAL = {"blob": {"type": "string"}, "project_id": NULLABLE_ID, "type": {"type": "string", "minLength": 1, "maxLength": 255},
              "user_id": ID}
credential_create = wrap("credential", CREDENTIAL, ("blob", "type", "user_id"))
credential_update = wrap("credential", CREDENTIAL, min_props=1)

# upstream's types for every id and name the auth body carries (a number where a
# string belongs must be a 400, not a type error in the database's comparison)
_STR = {"type": "string"}
_DOMAIN_REF = {"type": "object", "properties": {"id": _STR, "name": _STR}}
_USER_REF = {"type": "object", "properties": {"id": _STR, "name": _STR, "password": _STR,
                                              "domain": _DOMAIN_REF}}
auth_tokens = {"type": "object", "properties": {"auth": {"type": "object", "properties": {
    "identity": {"type": "object", "properties": {
        "methods": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "password": {"type": "object", "properties": {"user": _USER_REF}},
        "token": {"type": "object", "properties": {"id": _STR}},
        "application_credential": {"type": "object", "properties": {
            "id": _STR, "name": _STR, "secret": _STR, "user": _USER_REF}}},
                 "required": ["methods"]},
    "scope": {"type": ["object", "string"], "properties": {
        "project": {"type": "object", "properties": {"id": _STR, "name": _STR, "domain": _DOMAIN_REF}},
        "domain": _DOMAIN_REF,
        "OS-TRUST:trust": {"type": "object", "properties": {"id": _STR}},
        "system": {"type": "object", "properties": {"all": {"type": "boolean"}}}}}},
    "required": ["identity"]}}, "required": ["auth"]}

v2_tokens = {"type": "object", "properties": {"auth": {"type": "object", "properties": {
    "passwordCredentials": {"type": "object", "properties": {
        "username": {"type": "string"}, "userId": {"type": "string"}, "password": {"type": "string"}},
        "required": ["password"]},
    "token": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
    "tenantName": {"type": "string"}, "tenantId": {"type": "string"}}}}, "required": ["auth"]}
