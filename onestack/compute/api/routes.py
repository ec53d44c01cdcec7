"""The compute service's one route table (mounted at ``/compute``).

Not served yet (and answered 404): the network proxies other than
os-security-groups (os-networks, os-floating-ips, ... removed at 2.36),
remote consoles, migrations, shelve,
aggregates, os-hosts, and the deprecated addFixedIp/removeFixedIp actions.
os-interface answers 404 when the network service is not enabled;
os-volume_attachments 404s for volumes when the volume service is not enabled.
"""

from __future__ import annotations

from typing import Any

from onestack.compute import policies
from onestack.compute.api import (
    admin,
    flavors,
    images,
    interfaces,
    keypairs,
    quotas,
    security_groups,
    server_actions,
    server_groups,
    server_meta,
    servers,
    usage,
    versions,
    volume_attachments,
    volumes_proxy,
)
from onestack.compute.api.deps import Deps
from onestack.compute.api.middleware import MicroversionMiddleware
from onestack.compute.manager import ComputeManager
from onestack.core.errors import nova_format
from onestack.core.policy import Policy
from onestack.core.web import Authenticator, Call, Route, Service

P = "/v2.1"
OBJ = {"type": "object"}
SRV = P + "/servers/{server_id}"
FLV = P + "/flavors/{flavor_id}"
LEGACY_SERVICE_ACTIONS = {"enable", "disable", "disable-log-reason", "force-down"}


def _service_put(call: Call) -> Any:
    if call.params["service_id"] in LEGACY_SERVICE_ACTIONS:
        call.params["action"] = call.params["service_id"]
        return admin.service_legacy_action(call)
    return admin.service_update(call)


ROUTES: list[Route] = [
    *versions.ROUTES,
    # servers
    Route("GET", P + "/servers", servers.index),
    Route("POST", P + "/servers", servers.create, schema=OBJ, status=202),
    Route("GET", P + "/servers/detail", servers.detail),
    Route("GET", SRV, servers.show),
    Route("PUT", SRV, servers.update, schema=OBJ),
    Route("DELETE", SRV, servers.delete, status=204),
    Route("POST", SRV + "/action", server_actions.action, schema=OBJ),
    Route("GET", SRV + "/metadata", server_meta.meta_index),
    Route("POST", SRV + "/metadata", server_meta.meta_create, schema=OBJ),
    Route("PUT", SRV + "/metadata", server_meta.meta_replace, schema=OBJ),
    Route("GET", SRV + "/metadata/{key}", server_meta.meta_show),
    Route("PUT", SRV + "/metadata/{key}", server_meta.meta_update, schema=OBJ),
    Route("DELETE", SRV + "/metadata/{key}", server_meta.meta_delete, status=204),
    Route("GET", SRV + "/tags", server_meta.tags_index),
    Route("PUT", SRV + "/tags", server_meta.tags_replace, schema=OBJ),
    Route("DELETE", SRV + "/tags", server_meta.tags_delete, status=204),
    Route("GET", SRV + "/tags/{tag}", server_meta.tag_show, status=204),
    Route("PUT", SRV + "/tags/{tag}", server_meta.tag_add, status=201),
    Route("DELETE", SRV + "/tags/{tag}", server_meta.tag_delete, status=204),
    Route("GET", SRV + "/os-security-groups", security_groups.server_index),
    Route("GET", SRV + "/os-interface", interfaces.index),
    Route("POST", SRV + "/os-interface", interfaces.create, schema=OBJ),
    Route("GET", SRV + "/os-interface/{port_id}", interfaces.show),
    Route("DELETE", SRV + "/os-interface/{port_id}", interfaces.delete, status=202),
    Route("GET", SRV + "/ips", interfaces.ips_index),
    Route("GET", SRV + "/ips/{network_label}", interfaces.ips_show),
    Route("GET", SRV + "/os-volume_attachments", volume_attachments.index),
    Route("POST", SRV + "/os-volume_attachments", volume_attachments.create, schema=OBJ),
    Route("GET", SRV + "/os-volume_attachments/{volume_id}", volume_attachments.show),
    Route("PUT", SRV + "/os-volume_attachments/{volume_id}", volume_attachments.update, schema=OBJ, status=202),
    Route("DELETE", SRV + "/os-volume_attachments/{volume_id}", volume_attachments.delete, status=202),
    Route("GET", SRV + "/os-instance-actions", usage.actions_index),
    Route("GET", SRV + "/os-instance-actions/{request_id}", usage.action_show),
    # flavors
    Route("GET", P + "/flavors", flavors.index),
    Route("POST", P + "/flavors", flavors.create, schema=OBJ),
    Route("GET", P + "/flavors/detail", flavors.detail),
    Route("GET", FLV, flavors.show),
    Route("PUT", FLV, flavors.update, schema=OBJ),
    Route("DELETE", FLV, flavors.delete, status=202),
    Route("GET", FLV + "/os-flavor-access", flavors.access_list),
    Route("POST", FLV + "/action", flavors.flavor_action, schema=OBJ),
    Route("GET", FLV + "/os-extra_specs", flavors.specs_index),
    Route("POST", FLV + "/os-extra_specs", flavors.specs_create, schema=OBJ),
    Route("GET", FLV + "/os-extra_specs/{key}", flavors.spec_show),
    Route("PUT", FLV + "/os-extra_specs/{key}", flavors.spec_update, schema=OBJ),
    Route("DELETE", FLV + "/os-extra_specs/{key}", flavors.spec_delete, status=200),
    # the image proxy (up to 2.35)
    Route("GET", P + "/images", images.index),
    Route("GET", P + "/images/detail", images.detail),
    Route("GET", P + "/images/{image_id}", images.show),
    Route("DELETE", P + "/images/{image_id}", images.delete, status=204),
    Route("GET", P + "/images/{image_id}/metadata", images.meta_index),
    Route("POST", P + "/images/{image_id}/metadata", images.meta_create, schema=OBJ),
    Route("PUT", P + "/images/{image_id}/metadata", images.meta_replace, schema=OBJ),
    Route("GET", P + "/images/{image_id}/metadata/{key}", images.meta_show),
    Route("PUT", P + "/images/{image_id}/metadata/{key}", images.meta_update, schema=OBJ),
    Route("DELETE", P + "/images/{image_id}/metadata/{key}", images.meta_delete, status=204),
    # the security-group proxy (up to 2.35)
    Route("GET", P + "/os-security-groups", security_groups.index),
    Route("POST", P + "/os-security-groups", security_groups.create, schema=OBJ),
    Route("GET", P + "/os-security-groups/{group_id}", security_groups.show),
    Route("PUT", P + "/os-security-groups/{group_id}", security_groups.update, schema=OBJ),
    Route("DELETE", P + "/os-security-groups/{group_id}", security_groups.delete, status=202),
    Route("POST", P + "/os-security-group-rules", security_groups.rule_create, schema=OBJ),
    Route("DELETE", P + "/os-security-group-rules/{rule_id}", security_groups.rule_delete, status=202),
    # the volume proxy (up to 2.35)
    Route("GET", P + "/os-volumes", volumes_proxy.volume_index),
    Route("POST", P + "/os-volumes", volumes_proxy.volume_create, schema=OBJ),
    Route("GET", P + "/os-volumes/detail", volumes_proxy.volume_detail),
    Route("GET", P + "/os-volumes/{volume_id}", volumes_proxy.volume_show),
    Route("DELETE", P + "/os-volumes/{volume_id}", volumes_proxy.volume_delete, status=202),
    Route("GET", P + "/os-snapshots", volumes_proxy.snapshot_index),
    Route("POST", P + "/os-snapshots", volumes_proxy.snapshot_create, schema=OBJ),
    Route("GET", P + "/os-snapshots/detail", volumes_proxy.snapshot_detail),
    Route("GET", P + "/os-snapshots/{snapshot_id}", volumes_proxy.snapshot_show),
    Route("DELETE", P + "/os-snapshots/{snapshot_id}", volumes_proxy.snapshot_delete, status=202),
    # keypairs
    Route("GET", P + "/os-keypairs", keypairs.index),
    Route("POST", P + "/os-keypairs", keypairs.create, schema=OBJ),
    Route("GET", P + "/os-keypairs/{name}", keypairs.show),
    Route("DELETE", P + "/os-keypairs/{name}", keypairs.delete),
    # limits, quotas, usage, zones
    Route("GET", P + "/limits", quotas.limits),
    Route("GET", P + "/os-quota-sets/{project_id}", quotas.show),
    Route("PUT", P + "/os-quota-sets/{project_id}", quotas.update, schema=OBJ),
    Route("DELETE", P + "/os-quota-sets/{project_id}", quotas.delete, status=202),
    Route("GET", P + "/os-quota-sets/{project_id}/defaults", quotas.defaults),
    Route("GET", P + "/os-quota-sets/{project_id}/detail", quotas.detail),
    Route("GET", P + "/os-simple-tenant-usage", usage.usage_index),
    Route("GET", P + "/os-simple-tenant-usage/{project_id}", usage.usage_show),
    Route("GET", P + "/os-availability-zone", usage.az_index),
    Route("GET", P + "/os-availability-zone/detail", usage.az_detail),
    # server groups
    Route("GET", P + "/os-server-groups", server_groups.index),
    Route("POST", P + "/os-server-groups", server_groups.create, schema=OBJ),
    Route("GET", P + "/os-server-groups/{group_id}", server_groups.show),
    Route("DELETE", P + "/os-server-groups/{group_id}", server_groups.delete, status=204),
    # admin
    Route("GET", P + "/os-hypervisors", admin.hypervisors),
    Route("GET", P + "/os-hypervisors/detail", admin.hypervisors_detail),
    Route("GET", P + "/os-hypervisors/statistics", admin.hypervisor_statistics),
    Route("GET", P + "/os-hypervisors/{hypervisor_id}", admin.hypervisor_show),
    Route("GET", P + "/os-services", admin.services),
    Route("PUT", P + "/os-services/{service_id}", _service_put, schema=OBJ),
    Route("DELETE", P + "/os-services/{service_id}", admin.service_delete, status=204),
]


def build(cm: ComputeManager, authenticate: Authenticator | None) -> Any:
    """The ASGI app for ``/compute``: the routes behind microversion negotiation."""
    policy = Policy(policies.defaults(), cm.conf.compute.policy_file)
    # no trailing-slash redirects: "DELETE /os-security-groups/" is a 404, as in nova
    svc = Service("compute", ROUTES, error_format=nova_format, authenticate=authenticate,
                  services=Deps(cm=cm, policy=policy), redirect_slashes=False)
    return MicroversionMiddleware(svc.app)
