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
from onestack.core.web import Authenticator, Handler, Route, Service
from onestack.volume.api import (
    attachments,
    backups,
    messages,
    metadata,
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


def _resource(coll: str, item: str, handlers: Any, created: int = 200, action: Handler | None = None
              ) -> list[Route]:
    """What volumes, snapshots, backups and attachments all have: list, create,
    list in detail, show, update, delete and ``POST .../action`` (``handlers.action``
    unless given).  A static path of the collection (``/volumes/summary``) must
    come before these."""
    return [
        Route("GET", coll, handlers.index),
        Route("POST", coll, handlers.create, schema=OBJ, status=created),
        Route("GET", coll + "/detail", handlers.detail),
        Route("GET", item, handlers.show),
        Route("PUT", item, handlers.update, schema=OBJ),
        Route("DELETE", item, handlers.delete),
        Route("POST", item + "/action", action or handlers.action, schema=OBJ),
    ]


RESOURCE_ROUTES: list[Route] = [
    # volumes
    Route("GET", "/volumes/summary", volumes.summary),
    *_resource("/volumes", VOL, volumes, created=202, action=volume_actions.action),
    *metadata.routes(VOL, "volume_id", "volumes"),
    # snapshots
    *_resource("/snapshots", SNAP, snapshots, created=202),
    *metadata.routes(SNAP, "snapshot_id", "snapshots"),
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
    Route("POST", "/backups/import_record", backups.import_record, schema=OBJ),
    *_resource("/backups", BKP, backups),
    Route("GET", BKP + "/export_record", backups.export_record),
    Route("POST", BKP + "/restore", backups.restore, schema=OBJ),
    # attachments (3.27)
    *_resource("/attachments", ATT, attachments),
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
