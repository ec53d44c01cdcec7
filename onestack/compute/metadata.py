"""What a guest learns about itself: Nova's metadata documents, built once for
both the config drive (``openstack/latest/*`` on the ``config-2`` ISO) and the
metadata service at 169.254.169.254 (``metadata_api.py``), so both say the same.

``meta_data.json`` / ``network_data.json`` / ``vendor_data*.json`` / ``user_data``
follow nova's ``nova/api/metadata/base.py`` (``InstanceMetadata``) and
``nova/virt/netutils.py`` (``get_network_metadata``).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
from typing import Any

from onestack.compute.models import Instance

# the OpenStack metadata versions nova serves (``/openstack``), oldest first
OPENSTACK_VERSIONS = ("2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30", "2016-10-06",
                      "2017-02-22", "2018-08-27", "2020-10-14")
# the EC2-style versions (``/``)
EC2_VERSIONS = ("1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15", "2008-02-01",
                "2008-09-01", "2009-04-04")


def meta_data(inst: Instance, *, random_seed: bool = True) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "uuid": inst.uuid, "name": inst.display_name, "hostname": inst.hostname,
        "availability_zone": inst.availability_zone, "launch_index": inst.launch_index,
        "meta": dict(inst.metadata_ or {}), "project_id": inst.project_id, "devices": [],
        "public_keys": {},
    }
    if random_seed:
        meta["random_seed"] = base64.b64encode(secrets.token_bytes(512)).decode()
    if inst.key_data:
        meta["public_keys"] = {inst.key_name or "key": inst.key_data}
        meta["keys"] = [{"name": inst.key_name, "type": inst.key_type or "ssh", "data": inst.key_data}]
    return meta


def network_data(ports: list[dict[str, Any]], subnets: dict[str, Any]) -> dict[str, Any]:
    """``network_data.json`` from the server's ports; ``subnets`` maps subnet id to
    an object with ``cidr``, ``ip_version``, ``gateway_ip``, ``enable_dhcp``,
    ``dns_nameservers`` and ``host_routes`` (the network driver's ``SubnetState``)."""
    links: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    dns: list[str] = []
    for p in ports:
        link_id = "tap" + p["id"][:11]
        links.append({"id": link_id, "vif_id": p["id"], "type": "bridge", "mtu": p.get("mtu") or 1500,
                      "ethernet_mac_address": p.get("mac_address")})
        for fip in p.get("fixed_ips") or []:
            sub = subnets.get(fip["subnet_id"])
            n: dict[str, Any] = {"id": f"network{len(networks)}", "link": link_id,
                                 "network_id": p.get("network_id"), "ip_address": fip["ip_address"]}
            if sub is None:
                n["type"] = "ipv4_dhcp" if ":" not in fip["ip_address"] else "ipv6_dhcp"
                networks.append(n)
                continue
            net = ipaddress.ip_network(_attr(sub, "cidr"), strict=False)
            v6 = net.version == 6
            if v6:
                mode = _attr(sub, "ipv6_address_mode")
                n["type"] = {"slaac": "ipv6_slaac", "dhcpv6-stateless": "ipv6_dhcpv6-stateless",
                             "dhcpv6-stateful": "ipv6_dhcpv6-stateful"}.get(mode or "", "ipv6")
            else:
                n["type"] = "ipv4_dhcp" if _attr(sub, "enable_dhcp") else "ipv4"
            n["netmask"] = str(net.netmask)
            routes = []
            gw = _attr(sub, "gateway_ip")
            if gw:
                routes.append({"network": "::" if v6 else "0.0.0.0", "netmask": "::" if v6 else "0.0.0.0",
                               "gateway": gw})
            for dest, nexthop in _routes(sub):
                rn = ipaddress.ip_network(dest, strict=False)
                routes.append({"network": str(rn.network_address), "netmask": str(rn.netmask),
                               "gateway": nexthop})
            n["routes"] = routes
            n["services"] = [{"type": "dns", "address": a} for a in _attr(sub, "dns_nameservers") or []]
            dns += [a for a in _attr(sub, "dns_nameservers") or [] if a not in dns]
            networks.append(n)
    return {"links": links, "networks": networks, "services": [{"type": "dns", "address": a} for a in dns]}


def _attr(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _routes(sub: Any) -> list[tuple[str, str]]:
    out = []
    for r in _attr(sub, "host_routes") or []:
        if isinstance(r, dict):
            out.append((r["destination"], r["nexthop"]))
        else:
            out.append((r[0], r[1]))
    return out


def files(inst: Instance, ports: list[dict[str, Any]] | None = None,
          subnets: dict[str, Any] | None = None) -> dict[str, bytes]:
    """The config drive's ``openstack/latest`` tree (the metadata service serves
    the same documents)."""
    out = {
        "openstack/latest/meta_data.json": json.dumps(meta_data(inst)).encode(),
        "openstack/latest/network_data.json": json.dumps(network_data(ports or [], subnets or {})).encode(),
        "openstack/latest/vendor_data.json": b"{}",
        "openstack/latest/vendor_data2.json": b"{}",
    }
    if inst.user_data:
        out["openstack/latest/user_data"] = base64.b64decode(inst.user_data)
    return out


def user_data(inst: Instance) -> bytes | None:
    return base64.b64decode(inst.user_data) if inst.user_data else None


def ec2_id(inst: Instance) -> str:
    """nova's ``i-%08x`` form; onestack has no integer instance id, so the
    first 32 bits of the uuid stand in for it."""
    return "i-" + inst.uuid.replace("-", "")[:8]


def ec2_meta_data(inst: Instance, ports: list[dict[str, Any]]) -> dict[str, Any]:
    """The EC2-style ``/<version>/meta-data/`` tree as nested dicts (leaves are strings)."""
    fixed = [f["ip_address"] for p in ports for f in p.get("fixed_ips") or [] if ":" not in f["ip_address"]]
    floating = [f["floating_ip_address"] for p in ports for f in p.get("floating_ips") or []]
    flavor = dict(inst.flavor or {})
    md: dict[str, Any] = {
        "ami-id": "ami-" + (inst.image_ref or "").replace("-", "")[:8],
        "ami-launch-index": str(inst.launch_index),
        "ami-manifest-path": "FIXME",
        "block-device-mapping": {"ami": "vda", "root": inst.root_device_name or "/dev/vda"},
        "hostname": inst.hostname,
        "instance-action": "none",
        "instance-id": ec2_id(inst),
        "instance-type": str(flavor.get("name", "")),
        "local-hostname": inst.hostname,
        "local-ipv4": fixed[0] if fixed else "",
        "placement": {"availability-zone": inst.availability_zone or ""},
        "public-hostname": inst.hostname,
        "public-ipv4": floating[0] if floating else "",
        "reservation-id": inst.reservation_id,
        "security-groups": "",
    }
    if inst.key_data:
        md["public-keys"] = {"0": {"openssh-key": inst.key_data}}
    return md
