"""Cinder's API microversions: the table of what each one changed, and parsing.

Handlers ask ``mv(call) >= (3, 42)``.  Entries marked "(n/a)" change APIs this
cloud does not serve (groups, consistency groups, clusters, messages, manage
existing, workers, replication, reimage); the version is accepted and behaves
like its predecessor for everything we do serve.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from onestack.core.errors import BadRequest, NotAcceptable


class Version(NamedTuple):
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


MIN = Version(3, 0)
MAX = Version(3, 70)

CHANGES: dict[str, str] = {
    "3.0": "base v3 API",
    "3.1": "os-volume_upload_image takes visibility and protected",
    "3.2": "bootable filter on volume lists",
    "3.3": "user messages (/messages)",
    "3.4": "glance_metadata filter on volume lists",
    "3.5": "messages pagination",
    "3.6": "(n/a) consistency group update",
    "3.7": "(n/a) clusters; cluster_name in services",
    "3.8": "(n/a) manageable volumes/snapshots",
    "3.9": "backup update (name, description)",
    "3.10": "(n/a) group_id filter for volumes",
    "3.11": "(n/a) group types",
    "3.12": "volumes/summary",
    "3.13": "group_id in volume views (always null here)",
    "3.14": "(n/a) group snapshots",
    "3.15": "(n/a) ETags",
    "3.16": "(n/a) migrate to cluster",
    "3.17": "(n/a) manageable in cluster",
    "3.18": "os-backup-project-attr:project_id in backups (admin)",
    "3.19": "(n/a) group snapshot reset",
    "3.20": "(n/a) group reset",
    "3.21": "provider_id in volume views (admin; null here)",
    "3.22": "metadata filter on snapshot lists",
    "3.23": "(n/a) force on volume type delete",
    "3.24": "(n/a) workers cleanup",
    "3.25": "(n/a) volumes in groups",
    "3.26": "(n/a) replication failover for clusters",
    "3.27": "attachments API (/attachments)",
    "3.28": "(n/a) pool filter",
    "3.29": "(n/a) group snapshot pagination",
    "3.30": "snapshot list sort by name",
    "3.31": "resource filters (generic filtering)",
    "3.32": "(n/a) log levels",
    "3.33": "(n/a) resource filters API",
    "3.34": "like filters (name~=)",
    "3.35": "(n/a) group_id filter",
    "3.36": "volumes/summary metadata",
    "3.37": "backup list sort by name",
    "3.38": "(n/a) group replication",
    "3.39": "limits of another project (admin)",
    "3.40": "(n/a) revert to snapshot",
    "3.41": "user_id in snapshot views",
    "3.42": "extend an in-use volume",
    "3.43": "backup metadata",
    "3.44": "attachment complete action",
    "3.45": "with_count on lists",
    "3.46": "(n/a) create from a Nova 0-size image",
    "3.47": "create a volume from a backup (backup_id)",
    "3.48": "shared_targets and service_uuid in volume views",
    "3.49": "backend_state in pools",
    "3.50": "multiattach through volume types",
    "3.51": "availability_zone on backup create",
    "3.52": "(n/a) volume type extra spec filters",
    "3.53": "stricter request schemas",
    "3.54": "attachment mode on attachment create",
    "3.55": "transfer without snapshots (no_snapshots)",
    "3.56": "user_id in backup views",
    "3.57": "transfer history fields (accepted, destination/source project)",
    "3.58": "(n/a) group project_id",
    "3.59": "transfer list pagination and sort",
    "3.60": "created_at/updated_at comparison filters on volume lists",
    "3.61": "cluster_name in volume views (admin; null here)",
    "3.62": "(n/a) default volume type per project",
    "3.63": "volume_type_id in volume views",
    "3.64": "encryption_key_id in volume and backup views",
    "3.65": "consumes_quota in volume and snapshot views",
    "3.66": "snapshot of an in-use volume without force",
    "3.67": "project id optional in URLs",
    "3.68": "(n/a) os-reimage",
    "3.69": "shared_targets may be null",
    "3.70": "(n/a) transfer of encrypted volumes",
}

HEADER = "OpenStack-API-Version"
_RE = re.compile(r"^([1-9]\d*)\.(0|[1-9]\d*)$")


def parse(header: str | None) -> Version:
    """The version a request asks for in ``OpenStack-API-Version: volume 3.X``
    (absent: 3.0; ``latest``: MAX).  400 for nonsense, 406 out of range."""
    if not header:
        return MIN
    wanted = None
    for part in header.split(","):
        service, _, value = part.strip().partition(" ")
        if service.lower() == "volume":
            wanted = value.strip()
    if wanted is None:
        return MIN
    if wanted.lower() == "latest":
        return MAX
    m = _RE.match(wanted)
    if not m:
        raise BadRequest(f"Version {wanted} is not valid.")
    v = Version(int(m.group(1)), int(m.group(2)))
    if not MIN <= v <= MAX:
        raise NotAcceptable(f"Version {v} is not supported by the API. Minimum is {MIN} and maximum is {MAX}.")
    return v
