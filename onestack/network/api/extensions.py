"""``/v2.0/extensions``: exactly what this service implements.

The L3 modules (``api/security_groups.py``, ``api/routers.py``, ``api/floatingips.py``)
add theirs with a module-level ``EXTENSIONS = [(alias, name, description), ...]``;
``routes.py`` passes those in.
"""

from __future__ import annotations

from typing import Any

from onestack.core.errors import NotFound
from onestack.core.web import Call, Route

UPDATED = "2024-01-01T00:00:00-00:00"

CORE: list[tuple[str, str, str]] = [
    ("quotas", "Quota management support", "Expose functions for quotas management per project"),
    ("quota_details", "Quota details management support",
     "Expose functions for quotas usage statistics per project"),
    ("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
    ("standard-attr-description", "standard-attr-description",
     "Extension to add descriptions to standard attributes"),
    ("standard-attr-revisions", "Resource revision numbers",
     "This extension will display the revision number of neutron resources."),
    ("standard-attr-timestamp", "Resource timestamps",
     "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard "
     "attributes."),
    ("standard-attr-tag", "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, "
     "router, network, policy, subnetpool, port, security_group, floatingip",
     "Enables to set tag on resources with standard attribute."),
    ("tag-creation", "Tag support on resource creation",
     "Enables to set tag on resources on creation."),
    ("revision-if-match", "If-Match constraints based on revision_number",
     "Extension indicating that If-Match based on revision_number is supported."),
    ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
    ("port-security", "Port Security", "Provides port security"),
    ("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
    ("extra_dhcp_opt", "Neutron Extra DHCP options",
     "Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be "
     "specified (e.g. tftp-server, server-ip-address, bootfile-name)"),
    ("subnet_allocation", "Subnet Allocation", "Enables allocation of subnets from a subnet pool"),
    ("default-subnetpools", "Default Subnetpools", "Provides ability to mark and use a subnetpool as the default."),
    ("network_availability_zone", "Network Availability Zone", "Availability zone support for network."),
    ("availability_zone", "Availability Zone", "The availability zone extension."),
    ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
    ("net-mtu-writable", "Network MTU (writable)", "Provides a writable MTU attribute for a network resource."),
    ("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
    ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
    ("filter-validation", "Filter parameters validation", "Provides validation on filter parameters."),
    ("empty-string-filtering", "Empty String Filtering Extension",
     "Allow filtering by attributes with empty string value"),
    ("ip-substring-filtering", "IP address substring filtering",
     "Provides IP address substring filtering when listing ports"),
    ("subnet-external-network", "Subnet External Network",
     "Informs if the subnet is associated with an external network."),
    ("subnet-service-types", "Subnet service types",
     "Provides ability to set the subnet service_types field"),
]


def _doc(alias: str, name: str, description: str) -> dict[str, Any]:
    return {"alias": alias, "name": name, "description": description, "updated": UPDATED, "links": []}


def routes(extra: list[tuple[str, str, str]]) -> list[Route]:
    docs = {alias: _doc(alias, name, d) for alias, name, d in CORE + extra}

    def list_ext(call: Call) -> Any:
        return {"extensions": list(docs.values())}

    def show_ext(call: Call) -> Any:
        alias = call.params["alias"]
        if alias not in docs:
            raise NotFound(f"Extension with alias {alias} does not exist", type="HTTPNotFound")
        return {"extension": docs[alias]}

    return [
        Route("GET", "/v2.0/extensions", list_ext),
        Route("GET", "/v2.0/extensions.json", list_ext),
        Route("GET", "/v2.0/extensions/{alias}", show_ext),
    ]
