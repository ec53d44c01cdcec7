"""The volume service's one route table (mounted at ``/volume``).

Every resource is served under ``/v3/{project_id}/...`` and, as 3.67 allows,
under ``/v3/...`` without the project id.  Not served (404/501): groups, group
types and snapshots, consistency groups, clusters, workers, manage
existing, volume migration and re-image, encryption (listed as none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from onestack.core.errors import nova_format
from onestack.core.web import Authenticator, Route, Service
from onestack.volume.api import (
    attachments,
    backups,
    messages,
    misc,
    snapshots,
    transfers,
    types,
    versions,
    volume_actions,
    volumes,
)
from onestack.volume.api.middleware import MicroversionMiddleware
from onestack.volume.manager import VolumeManager

OBJ = {"type": "object"}
VOL = "/volumes/{volume_id}"
SNAP = "/snapshots/{snapshot_id}"
TYPE = "/types/{type_id}"
QOS = "/qos-specs/{qos_id}"
BKP = "/backups/{backup_id}"
ATT = "/attachments/{attachment_id}"

RESOURCE_ROUTES: list[Route] = [
    # volumes
    Route("GET", "/volumes", volumes.index),
    Route("POST", "/volumes", volumes.create, schema=OBJ, status=202),
    Route("GET", "/volumes/detail", volumes.detail),
    Route("GET", "/volumes/summary", volumes.summary),
    Route("GET", VOL, volumes.show),
    Route("PUT", VOL, volumes.update, schema=OBJ),
    Route("DELETE", VOL, volumes.delete),
    Route("POST", VOL + "/action", volume_actions.action, schema=OBJ),
    Route("GET", VOL + "/metadata", volumes.metadata_show),
    Route("POST", VOL + "/metadata", volumes.metadata_create, schema=OBJ),
    Route("PUT", VOL + "/metadata", volumes.metadata_replace, schema=OBJ),
    Route("GET", VOL + "/metadata/{key}", volumes.metadata_item_show),
    Route("PUT", VOL + "/metadata/{key}", volumes.metadata_item_update, schema=OBJ),
    Route("DELETE", VOL + "/metadata/{key}", volumes.metadata_item_delete),
    # snapshots
    Route("GET", "/snapshots", snapshots.index),
    Route("POST", "/snapshots", snapshots.create, schema=OBJ, status=202),
    Route("GET", "/snapshots/detail", snapshots.detail),
    Route("GET", SNAP, snapshots.show),
    Route("PUT", SNAP, snapshots.update, schema=OBJ),
    Route("DELETE", SNAP, snapshots.delete),
    Route("POST", SNAP + "/action", snapshots.action, schema=OBJ),
    Route("GET", SNAP + "/metadata", snapshots.metadata_show),
    Route("POST", SNAP + "/metadata", snapshots.metadata_create, schema=OBJ),
    Route("PUT", SNAP + "/metadata", snapshots.metadata_replace, schema=OBJ),
    Route("GET", SNAP + "/metadata/{key}", snapshots.metadata_item_show),
    Route("PUT", SNAP + "/metadata/{key}", snapshots.metadata_item_update, schema=OBJ),
    Route("DELETE", SNAP + "/metadata/{key}", snapshots.metadata_item_delete),
    # volume types
    Route("GET", "/types", types.index),
    Route("POST", "/types", types.create, schema=OBJ),
    Route("GET", TYPE, types.show),
    Route("PUT", TYPE, types.update, schema=OBJ),
    Route("DELETE", TYPE, types.delete),
    Route("POST", TYPE + "/action", types.action, schema=OBJ, status=202),
    Route("GET", TYPE + "/os-volume-type-access", types.access_list),
    Route("GET", TYPE + "/extra_specs", types.extra_specs),
    Route("POST", TYPE + "/extra_specs", types.extra_specs_create, schema=OBJ),
    Route("GET", TYPE + "/extra_specs/{key}", types.extra_spec_show),
    Route("PUT", TYPE + "/extra_specs/{key}", types.extra_spec_update, schema=OBJ),
    Route("DELETE", TYPE + "/extra_specs/{key}", types.extra_spec_delete),
    Route("GET", TYPE + "/encryption", types.encryption_show),
    Route("POST", TYPE + "/encryption", types.encryption_create, schema=OBJ),
    Route("GET", TYPE + "/encryption/{spec}", types.encryption_spec),
    Route("PUT", TYPE + "/encryption/{spec}", types.encryption_update, schema=OBJ),
    Route("DELETE", TYPE + "/encryption/{spec}", types.encryption_delete),
    # qos specs
    Route("GET", "/qos-specs", types.qos_index),
    Route("POST", "/qos-specs", types.qos_create, schema=OBJ),
    Route("GET", QOS, types.qos_show),
    Route("PUT", QOS, types.qos_update, schema=OBJ),
    Route("DELETE", QOS, types.qos_delete),
    Route("PUT", QOS + "/delete_keys", types.qos_delete_keys, schema=OBJ),
    Route("GET", QOS + "/associations", types.qos_associations),
    Route("GET", QOS + "/associate", types.qos_associate),
    Route("GET", QOS + "/disassociate", types.qos_disassociate),
    Route("GET", QOS + "/disassociate_all", types.qos_disassociate_all),
    # backups
    Route("GET", "/backups", backups.index),
    Route("POST", "/backups", backups.create, schema=OBJ),
    Route("GET", "/backups/detail", backups.detail),
    Route("POST", "/backups/import_record", backups.import_record, schema=OBJ),
    Route("GET", BKP + "/export_record", backups.export_record),
    Route("GET", BKP, backups.show),
    Route("PUT", BKP, backups.update, schema=OBJ),
    Route("DELETE", BKP, backups.delete),
    Route("POST", BKP + "/restore", backups.restore, schema=OBJ),
    Route("POST", BKP + "/action", backups.action, schema=OBJ),
    # attachments (3.27)
    Route("GET", "/attachments", attachments.index),
    Route("POST", "/attachments", attachments.create, schema=OBJ),
    Route("GET", "/attachments/detail", attachments.detail),
    Route("GET", ATT, attachments.show),
    Route("PUT", ATT, attachments.update, schema=OBJ),
    Route("DELETE", ATT, attachments.delete),
    Route("POST", ATT + "/action", attachments.action, schema=OBJ),
    # transfers
    *[r for base in ("/os-volume-transfer", "/volume-transfers") for r in (
        Route("GET", base, transfers.index),
        Route("POST", base, transfers.create, schema=OBJ),
        Route("GET", base + "/detail", transfers.detail),
        Route("GET", base + "/{transfer_id}", transfers.show),
        Route("DELETE", base + "/{transfer_id}", transfers.delete),
        Route("POST", base + "/{transfer_id}/accept", transfers.accept, schema=OBJ),
    )],
    # user messages (3.3)
    Route("GET", "/messages", messages.index),
    Route("GET", "/messages/{message_id}", messages.show),
    Route("DELETE", "/messages/{message_id}", messages.delete),
    # quotas, limits, zones, services, pools, extensions
    Route("GET", "/os-quota-sets/{target_project}", misc.quota_show),
    Route("PUT", "/os-quota-sets/{target_project}", misc.quota_update, schema=OBJ),
    Route("DELETE", "/os-quota-sets/{target_project}", misc.quota_delete),
    Route("GET", "/os-quota-sets/{target_project}/defaults", misc.quota_defaults),
    Route("GET", "/os-quota-class-sets/{class_name}", misc.quota_class_show),
    Route("PUT", "/os-quota-class-sets/{class_name}", misc.quota_class_update, schema=OBJ),
    Route("GET", "/limits", misc.limits),
    Route("GET", "/os-availability-zone", misc.availability_zones),
    Route("GET", "/os-services", misc.services),
    Route("PUT", "/os-services/{action}", misc.service_update, schema=OBJ),
    Route("GET", "/scheduler-stats/get_pools", misc.pools),
    Route("GET", "/os-hosts", misc.hosts),
    Route("GET", "/os-hosts/{host}", misc.host_show),
    Route("GET", "/capabilities/{hostname}", misc.capabilities),
    Route("GET", "/extensions", misc.extensions),
]


def _prefixed(prefix: str) -> list[Route]:
    return [Route(r.method, prefix + r.path, r.handler, schema=r.schema, public=r.public, status=r.status,
                  body_optional=r.body_optional, extra_methods=r.extra_methods) for r in RESOURCE_ROUTES]


ROUTES: list[Route] = [*versions.ROUTES, *_prefixed("/v3/{project_id}"), *_prefixed("/v3")]


@dataclass
class Built:
    app: Any
    service: Service


def build(manager: VolumeManager, authenticate: Authenticator | None) -> Built:
    """The ASGI app for ``/volume``: the routes behind microversion negotiation."""
    svc = Service("volume", ROUTES, error_format=nova_format, authenticate=authenticate, services=manager,
                  redirect_slashes=False)
    return Built(app=MicroversionMiddleware(svc.app), service=svc)
