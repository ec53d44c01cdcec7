"""Server views per microversion (see ``microversions.CHANGES``).  Tempest
checks these against strict schemas: a field appears exactly from the version
that added it."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
from typing import Any

from onestack.compute.api.deps import bookmark, links
from onestack.compute.manager.common import ERROR, fmt_time, status_of
from onestack.compute.microversions import Version
from onestack.compute.models import Flavor, Instance
from onestack.core.web import Call

PROGRESS_STATUSES = {"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"}
FAULT_STATUSES = {"ERROR", "DELETED"}


def host_id(inst: Instance) -> str:
    if not inst.host:
        return ""
    return _host_id(inst.project_id, inst.host)


@functools.lru_cache(maxsize=4096)
def _host_id(project_id: str, host: str) -> str:
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def _ip(addr: str | None) -> str:
    """An access IP in canonical form ('0:0:0:0:0:babe:220.12.22.2' -> '::babe:dc0c:1602'),
    as nova's IPAddress column stores it."""
    if not addr:
        return ""
    try:
        return str(ipaddress.ip_address(addr))
    except ValueError:
        return addr


def server_brief(call: Call, inst: Instance) -> dict[str, Any]:
    return {"id": inst.uuid, "name": inst.display_name, "links": links(call, "servers", inst.uuid)}


def _flavor(call: Call, inst: Instance, v: Version, show_specs: bool) -> dict[str, Any]:
    f = inst.flavor or {}
    if v < (2, 47):
        return {"id": inst.flavor_id, "links": [{"rel": "bookmark", "href": f"{bookmark(call)}/flavors/{inst.flavor_id}"}]}
    out = {"vcpus": f.get("vcpus", inst.vcpus), "ram": f.get("ram", inst.memory_mb),
           "disk": f.get("disk", inst.root_gb), "ephemeral": f.get("ephemeral", 0),
           "swap": f.get("swap", 0), "original_name": f.get("name", "")}
    if show_specs:
        out["extra_specs"] = dict(f.get("extra_specs") or {})
    return out


def server_detail(call: Call, inst: Instance, v: Version, *, admin: bool, tags: list[str] | None = None,
                  groups: list[str] | None = None, host_status: str | None = None,
                  show_specs: bool = True) -> dict[str, Any]:
    status = status_of(inst)
    image: Any = ""
    if inst.image_ref:
        image = {"id": inst.image_ref, "links": [{"rel": "bookmark", "href": f"{bookmark(call)}/images/{inst.image_ref}"}]}
    d: dict[str, Any] = {
        "id": inst.uuid, "name": inst.display_name, "status": status, "tenant_id": inst.project_id,
        "user_id": inst.user_id, "metadata": dict(inst.metadata_ or {}), "hostId": host_id(inst),
        "image": image, "flavor": _flavor(call, inst, v, show_specs),
        "created": fmt_time(inst.created_at), "updated": fmt_time(inst.updated_at or inst.created_at),
        "addresses": {}, "accessIPv4": _ip(inst.access_ip_v4), "accessIPv6": _ip(inst.access_ip_v6),
        "links": links(call, "servers", inst.uuid), "OS-DCF:diskConfig": inst.disk_config,
        "OS-EXT-AZ:availability_zone": inst.availability_zone or "",
        "config_drive": inst.config_drive, "key_name": inst.key_name,
        "OS-SRV-USG:launched_at": _usg(inst.launched_at), "OS-SRV-USG:terminated_at": _usg(inst.terminated_at),
        "OS-EXT-STS:task_state": inst.task_state, "OS-EXT-STS:vm_state": inst.vm_state,
        "OS-EXT-STS:power_state": inst.power_state,
        "os-extended-volumes:volumes_attached": [],
    }
    if status in PROGRESS_STATUSES:
        d["progress"] = inst.progress or 0
    if admin:
        d["OS-EXT-SRV-ATTR:host"] = inst.host
        d["OS-EXT-SRV-ATTR:hypervisor_hostname"] = inst.node
        d["OS-EXT-SRV-ATTR:instance_name"] = "instance-" + inst.uuid[:8]
        if v >= (2, 3):
            d["OS-EXT-SRV-ATTR:reservation_id"] = inst.reservation_id
            d["OS-EXT-SRV-ATTR:launch_index"] = inst.launch_index
            d["OS-EXT-SRV-ATTR:kernel_id"] = inst.kernel_id
            d["OS-EXT-SRV-ATTR:ramdisk_id"] = inst.ramdisk_id
            d["OS-EXT-SRV-ATTR:hostname"] = inst.hostname
            d["OS-EXT-SRV-ATTR:root_device_name"] = inst.root_device_name
            d["OS-EXT-SRV-ATTR:user_data"] = inst.user_data
    if v >= (2, 90):
        d["OS-EXT-SRV-ATTR:hostname"] = inst.hostname
    if status in FAULT_STATUSES and inst.fault:
        f = dict(inst.fault)
        fault = {"code": f.get("code", 500), "created": f.get("created"), "message": f.get("message", "")}
        if admin or fault["code"] != 500:
            fault["details"] = f.get("details", "")
        d["fault"] = fault
    if v >= (2, 9):
        d["locked"] = bool(inst.locked)
    if v >= (2, 16) and host_status is not None:
        d["host_status"] = host_status
    if v >= (2, 19):
        d["description"] = inst.display_description
    if v >= (2, 26):
        d["tags"] = list(tags or [])
    if v >= (2, 63):
        d["trusted_image_certificates"] = None
    if v >= (2, 71) and groups is not None:
        d["server_groups"] = list(groups)
    if v >= (2, 73):
        d["locked_reason"] = inst.locked_reason
    if v >= (2, 96):
        d["pinned_availability_zone"] = inst.pinned_availability_zone
    if inst.vm_state == ERROR and "progress" in d:
        del d["progress"]
    return d


def _usg(t: Any) -> str | None:
    return None if t is None else t.replace(tzinfo=None).isoformat(timespec="microseconds")


# ---- flavors -------------------------------------------------------------------------
def flavor_brief(call: Call, f: Flavor, v: Version) -> dict[str, Any]:
    d: dict[str, Any] = {"id": f.flavorid, "name": f.name, "links": links(call, "flavors", f.flavorid)}
    if v >= (2, 55):
        d["description"] = f.description
    return d


def flavor_detail(call: Call, f: Flavor, v: Version, show_specs: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": f.flavorid, "name": f.name, "ram": f.memory_mb, "disk": f.root_gb, "vcpus": f.vcpus,
        "links": links(call, "flavors", f.flavorid), "OS-FLV-EXT-DATA:ephemeral": f.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": f.disabled, "swap": f.swap if (f.swap or v >= (2, 75)) else "",
        "rxtx_factor": f.rxtx_factor, "os-flavor-access:is_public": f.is_public,
    }
    if v >= (2, 55):
        d["description"] = f.description
    if v >= (2, 61) and show_specs:
        d["extra_specs"] = dict(f.extra_specs or {})
    return d
