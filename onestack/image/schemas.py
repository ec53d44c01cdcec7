"""JSON schemas: what ``/v2/schemas/*`` serve (upstream's, from
``glance/api/v2/images.py`` and ``image_members.py``, with the default
``schema-image.json`` extra properties), and what requests are checked against."""

from __future__ import annotations

import copy
from typing import Any

UUID_PATTERN = (
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
)
STATUSES = [
    "queued", "saving", "active", "killed", "deleted", "uploading", "importing",
    "pending_delete", "deactivated",
]
VISIBILITIES = ["community", "public", "private", "shared"]
DISK_FORMATS = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]
CONTAINER_FORMATS = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]
MEMBER_STATUSES = ["pending", "accepted", "rejected"]
INT32_MAX = 2**31 - 1

# attributes a client may never set (403 "Attribute 'x' is read-only.")
READ_ONLY = frozenset({
    "id", "status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size",
    "created_at", "updated_at", "direct_url", "self", "file", "schema", "stores", "locations",
})
# names Glance keeps for itself (403 "Attribute 'x' is reserved.")
RESERVED = frozenset({"location", "deleted", "deleted_at", "owner_id"})
RESERVED_PREFIX = "os_glance"
# the core attributes a client may set (others are custom properties)
CORE_SETTABLE = frozenset({
    "name", "visibility", "protected", "os_hidden", "container_format", "disk_format",
    "min_ram", "min_disk", "tags", "owner",
})
CORE = READ_ONLY | CORE_SETTABLE

_BASE: dict[str, Any] = {
    "id": {"type": "string", "description": "An identifier for the image", "pattern": UUID_PATTERN},
    "name": {"type": ["null", "string"], "description": "Descriptive name for the image", "maxLength": 255},
    "status": {"type": "string", "readOnly": True, "description": "Status of the image", "enum": STATUSES},
    "visibility": {"type": "string", "description": "Scope of image accessibility", "enum": VISIBILITIES},
    "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
    "os_hidden": {"type": "boolean", "description": "If true, image will not appear in default image list response."},
    "checksum": {"type": ["null", "string"], "readOnly": True, "description": "md5 hash of image contents.", "maxLength": 32},
    "os_hash_algo": {"type": ["null", "string"], "readOnly": True, "description": "Algorithm to calculate the os_hash_value", "maxLength": 64},
    "os_hash_value": {"type": ["null", "string"], "readOnly": True, "description": "Hexdigest of the image contents using the algorithm specified by the os_hash_algo", "maxLength": 128},
    "owner": {"type": ["null", "string"], "description": "Owner of the image", "maxLength": 255},
    "size": {"type": ["null", "integer"], "readOnly": True, "description": "Size of image file in bytes"},
    "virtual_size": {"type": ["null", "integer"], "readOnly": True, "description": "Virtual size of image in bytes"},
    "container_format": {"type": ["null", "string"], "description": "Format of the container", "enum": [None, *CONTAINER_FORMATS]},
    "disk_format": {"type": ["null", "string"], "description": "Format of the disk", "enum": [None, *DISK_FORMATS]},
    "created_at": {"type": "string", "readOnly": True, "description": "Date and time of image registration"},
    "updated_at": {"type": "string", "readOnly": True, "description": "Date and time of the last image modification"},
    "tags": {"type": "array", "description": "List of strings related to the image", "items": {"type": "string", "maxLength": 255}},
    "direct_url": {"type": "string", "readOnly": True, "description": "URL to access the image file kept in external store"},
    "min_ram": {"type": "integer", "description": "Amount of ram (in MB) required to boot image.", "minimum": 0, "maximum": INT32_MAX},
    "min_disk": {"type": "integer", "description": "Amount of disk space (in GB) required to boot image.", "minimum": 0, "maximum": INT32_MAX},
    "self": {"type": "string", "readOnly": True, "description": "An image self url"},
    "file": {"type": "string", "readOnly": True, "description": "An image file url"},
    "stores": {"type": "string", "readOnly": True, "description": "Store in which image data resides.  Only present when the operator has enabled multiple stores."},
    "schema": {"type": "string", "readOnly": True, "description": "An image schema url"},
    "locations": {"type": "array", "items": {"type": "object", "properties": {
        "url": {"type": "string", "maxLength": 255},
        "metadata": {"type": "object"},
        "validation_data": {"type": "object"},
    }, "required": ["url", "metadata"]}, "description": "A set of URLs to access the image file kept in external store"},
}
# upstream's etc/schema-image.json: typed custom properties
_EXTRA: dict[str, Any] = {
    "kernel_id": {"type": ["null", "string"], "pattern": UUID_PATTERN, "description": "ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.", "is_base": False},
    "ramdisk_id": {"type": ["null", "string"], "pattern": UUID_PATTERN, "description": "ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.", "is_base": False},
    "instance_uuid": {"type": "string", "description": "Metadata which can be used to record which instance this image is associated with. (Informational only, does not create an instance snapshot.)", "is_base": False},
    "architecture": {"type": "string", "description": "Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html", "is_base": False},
    "os_distro": {"type": "string", "description": "Common name of operating system distribution as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html", "is_base": False},
    "os_version": {"type": "string", "description": "Operating system version as specified by the distributor.", "is_base": False},
    "description": {"type": "string", "description": "A human-readable string describing this image.", "is_base": False},
    "cinder_encryption_key_id": {"type": "string", "description": "Identifier in the OpenStack Key Management Service for the encryption key for the Block Storage Service to use when mounting a volume created from this image", "is_base": False},
    "cinder_encryption_key_deletion_policy": {"type": "string", "enum": ["on_image_deletion", "do_not_delete"], "description": "States the condition under which the Image Service will delete the object associated with the 'cinder_encryption_key_id' image property.  If this property is missing, the Image Service will take no action", "is_base": False},
}

IMAGE_SCHEMA: dict[str, Any] = {
    "name": "image",
    "properties": {**_BASE, **_EXTRA},
    "additionalProperties": {"type": "string"},
    "links": [
        {"rel": "self", "href": "{self}"},
        {"rel": "enclosure", "href": "{file}"},
        {"rel": "describedby", "href": "{schema}"},
    ],
}

IMAGES_SCHEMA: dict[str, Any] = {
    "name": "images",
    "properties": {
        "images": {"type": "array", "items": IMAGE_SCHEMA},
        "schema": {"type": "string"},
        "first": {"type": "string"},
        "next": {"type": "string"},
    },
    "links": [
        {"rel": "first", "href": "{first}"},
        {"rel": "next", "href": "{next}"},
        {"rel": "describedby", "href": "{schema}"},
    ],
}

MEMBER_SCHEMA: dict[str, Any] = {
    "name": "member",
    "properties": {
        "created_at": {"type": "string", "description": "Date and time of image member creation"},
        "image_id": {"type": "string", "description": "An identifier for the image", "pattern": UUID_PATTERN},
        "member_id": {"type": "string", "description": "An identifier for the image member (tenantId)"},
        "status": {"type": "string", "description": "The status of this image member", "enum": MEMBER_STATUSES},
        "updated_at": {"type": "string", "description": "Date and time of last modification of image member"},
        "schema": {"readOnly": True, "type": "string"},
    },
}

MEMBERS_SCHEMA: dict[str, Any] = {
    "name": "members",
    "properties": {
        "members": {"type": "array", "items": MEMBER_SCHEMA},
        "schema": {"type": "string"},
    },
    "links": [{"rel": "self", "href": "{self}"}, {"rel": "schema", "href": "{schema}"}],
}


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """An image schema for validating requests: the served one, minus its read-only
    attributes (checked separately, with 403), rejecting NUL characters (which not
    every database stores) and over-long custom values."""
    s = copy.deepcopy(schema)
    props = {k: v for k, v in s["properties"].items() if not v.get("readOnly")}
    for v in props.values():
        v.pop("is_base", None)
    props["tags"]["items"]["pattern"] = "^[^\\x00]*$"
    props["tags"]["maxItems"] = 1000
    s["properties"] = props
    s["additionalProperties"] = {"type": "string", "maxLength": 65535, "pattern": "^[^\\x00]*$"}
    s["propertyNames"] = {"maxLength": 255, "pattern": "^[^\\x00]*$"}
    s["type"] = "object"
    s.pop("links", None)
    s.pop("name", None)
    return s


IMAGE_REQUEST: dict[str, Any] = _strict(IMAGE_SCHEMA)

MEMBER_CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {"member": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^\\x00]*$"}},
    "required": ["member"],
}
MEMBER_UPDATE: dict[str, Any] = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": MEMBER_STATUSES}},
    "required": ["status"],
}
IMPORT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "method": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "uri": {"type": "string", "maxLength": 2048},
                "glance_image_id": {"type": "string"},
                "glance_region": {"type": "string"},
                "glance_service_interface": {"type": "string"},
            },
            "required": ["name"],
        },
        "stores": {"type": "array", "items": {"type": "string"}},
        "all_stores": {"type": "boolean"},
        "all_stores_must_succeed": {"type": "boolean"},
    },
    "required": ["method"],
}
