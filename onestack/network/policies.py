"""Neutron's default policy rules (upstream's current, non-deprecated defaults from
``neutron/conf/policies/*.py``), by rule name.

Targets are flat dicts, as Neutron builds them: the resource's attributes
(``project_id``, ``shared``, ``router:external``, ``device_owner``...) plus, for
resources on a network, ``network:project_id`` (the network owner).  Booleans are
passed as the strings ``"True"``/``"False"`` so that the generic checks below can
compare them.  Neutron's ``field:`` checks (``field:networks:shared=True``) are written
as generic checks on the target (``'True':%(shared)s``).

Visibility comes first, in the manager: a resource the caller may not see is a 404,
never a 403 (Neutron answers ``NetworkNotFound`` for another project's network).
The L3 helper adds its own rules with ``register(...)`` before the Policy is built
(see ``manager/__init__.py``).
"""

from __future__ import annotations

from oslo_policy import policy

ADMIN = "rule:admin_only"
MEMBER = "role:member and project_id:%(project_id)s"
READER = "role:reader and project_id:%(project_id)s"
ADMIN_OR_MEMBER = f"({ADMIN}) or ({MEMBER})"
ADMIN_OR_READER = f"({ADMIN}) or ({READER})"
NET_OWNER_MEMBER = "role:member and project_id:%(network:project_id)s"
NET_OWNER_READER = "role:reader and project_id:%(network:project_id)s"
ADMIN_OR_NET_OWNER_MEMBER = f"({ADMIN}) or ({NET_OWNER_MEMBER})"
ADMIN_OR_NET_OWNER_READER = f"({ADMIN}) or ({NET_OWNER_READER})"
SHARED = "'True':%(shared)s"
EXTERNAL = "'True':%(router:external)s"

BASE_RULES: dict[str, str] = {
    "context_is_admin": "role:admin",
    "admin_only": "rule:context_is_admin",
    "regular_user": "",
    "default": "rule:admin_only",
    "shared": SHARED,
    "external": EXTERNAL,
}

RULES: dict[str, str] = {
    # networks
    "create_network": ADMIN_OR_MEMBER,
    "create_network:shared": ADMIN,
    "create_network:router:external": ADMIN,
    "create_network:is_default": ADMIN,
    "create_network:port_security_enabled": ADMIN_OR_MEMBER,
    "create_network:segments": ADMIN,
    "create_network:provider:network_type": ADMIN,
    "create_network:provider:physical_network": ADMIN,
    "create_network:provider:segmentation_id": ADMIN,
    "get_network": f"({ADMIN}) or ({READER}) or rule:shared or rule:external",
    "get_network:router:external": "",
    "get_network:segments": ADMIN,
    "get_network:provider:network_type": ADMIN,
    "get_network:provider:physical_network": ADMIN,
    "get_network:provider:segmentation_id": ADMIN,
    "update_network": ADMIN_OR_MEMBER,
    "update_network:segments": ADMIN,
    "update_network:shared": ADMIN,
    "update_network:provider:network_type": ADMIN,
    "update_network:provider:physical_network": ADMIN,
    "update_network:provider:segmentation_id": ADMIN,
    "update_network:router:external": ADMIN,
    "update_network:is_default": ADMIN,
    "update_network:port_security_enabled": ADMIN_OR_MEMBER,
    "delete_network": ADMIN_OR_MEMBER,
    # subnets
    "create_subnet": f"({ADMIN}) or ({MEMBER}) or ({NET_OWNER_MEMBER})",
    "create_subnet:segment_id": ADMIN,
    "create_subnet:service_types": ADMIN,
    "get_subnet": f"({ADMIN}) or ({READER}) or rule:shared",
    "get_subnet:segment_id": ADMIN,
    "update_subnet": f"({ADMIN}) or ({MEMBER}) or ({NET_OWNER_MEMBER})",
    "update_subnet:segment_id": ADMIN,
    "update_subnet:service_types": ADMIN,
    "delete_subnet": f"({ADMIN}) or ({MEMBER}) or ({NET_OWNER_MEMBER})",
    # subnet pools
    "create_subnetpool": ADMIN_OR_MEMBER,
    "create_subnetpool:shared": ADMIN,
    "create_subnetpool:is_default": ADMIN,
    "get_subnetpool": f"({ADMIN}) or ({READER}) or rule:shared_subnetpools",
    "shared_subnetpools": SHARED,
    "update_subnetpool": ADMIN_OR_MEMBER,
    "update_subnetpool:is_default": ADMIN,
    "delete_subnetpool": ADMIN_OR_MEMBER,
    # ports
    "create_port": ADMIN_OR_MEMBER,
    "create_port:device_owner": f"not rule:network_device or ({ADMIN}) or ({NET_OWNER_MEMBER})",
    "network_device": "field:port:device_owner=~^network:",
    "create_port:mac_address": ADMIN_OR_NET_OWNER_MEMBER,
    "create_port:fixed_ips": f"({ADMIN_OR_NET_OWNER_MEMBER}) or rule:shared",
    "create_port:fixed_ips:ip_address": ADMIN_OR_NET_OWNER_MEMBER,
    "create_port:fixed_ips:subnet_id": f"({ADMIN_OR_NET_OWNER_MEMBER}) or rule:shared",
    "create_port:port_security_enabled": ADMIN_OR_NET_OWNER_MEMBER,
    "create_port:binding:host_id": ADMIN,
    "create_port:binding:profile": ADMIN,
    "create_port:binding:vnic_type": ADMIN_OR_MEMBER,
    "create_port:allowed_address_pairs": ADMIN_OR_NET_OWNER_MEMBER,
    "create_port:allowed_address_pairs:mac_address": ADMIN_OR_NET_OWNER_MEMBER,
    "create_port:allowed_address_pairs:ip_address": ADMIN_OR_NET_OWNER_MEMBER,
    "get_port": f"({ADMIN}) or ({READER}) or ({NET_OWNER_READER})",
    "get_port:binding:vif_type": ADMIN,
    "get_port:binding:vif_details": ADMIN,
    "get_port:binding:host_id": ADMIN,
    "get_port:binding:profile": ADMIN,
    "get_port:resource_request": ADMIN,
    "update_port": ADMIN_OR_MEMBER,
    "update_port:device_owner": f"not rule:network_device or ({ADMIN}) or ({NET_OWNER_MEMBER})",
    "update_port:mac_address": ADMIN,
    "update_port:fixed_ips": ADMIN_OR_NET_OWNER_MEMBER,
    "update_port:fixed_ips:ip_address": ADMIN_OR_NET_OWNER_MEMBER,
    "update_port:fixed_ips:subnet_id": f"({ADMIN_OR_NET_OWNER_MEMBER}) or rule:shared",
    "update_port:port_security_enabled": ADMIN_OR_NET_OWNER_MEMBER,
    "update_port:binding:host_id": ADMIN,
    "update_port:binding:profile": ADMIN,
    "update_port:binding:vnic_type": ADMIN_OR_MEMBER,
    "update_port:allowed_address_pairs": ADMIN_OR_NET_OWNER_MEMBER,
    "update_port:allowed_address_pairs:mac_address": ADMIN_OR_NET_OWNER_MEMBER,
    "update_port:allowed_address_pairs:ip_address": ADMIN_OR_NET_OWNER_MEMBER,
    "update_port:data_plane_status": ADMIN,
    "delete_port": f"({ADMIN}) or ({MEMBER}) or ({NET_OWNER_MEMBER})",
    # quotas
    "get_quota": ADMIN_OR_READER,
    "update_quota": ADMIN,
    "delete_quota": ADMIN,
    # tags (checked as an update of the parent resource, as upstream does)
}

# ``field:port:device_owner=~^network:`` is Neutron's own check kind; here a
# generic check on a target key the manager fills in
RULES["network_device"] = "'True':%(network_device)s"

_EXTRA: dict[str, str] = {}


def register(rules: dict[str, str]) -> None:
    """The L3 helper's rules (routers, floating IPs, security groups)."""
    _EXTRA.update(rules)


def defaults() -> list[policy.RuleDefault]:
    merged = {**BASE_RULES, **RULES, **_EXTRA}
    return [policy.RuleDefault(name, check) for name, check in merged.items()]
