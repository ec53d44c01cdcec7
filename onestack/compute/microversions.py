"""Nova's API microversions: the table of what each one changed, and parsing.

Handlers never compare strings: they ask ``mv(call) >= (2, 47)``.  The table is
the one place to read what a version means; views and schemas cite versions
from it.  Entries marked "(n/a)" change APIs this cloud does not serve yet
(migrations, interfaces, consoles, cells, shelving); the version is accepted and
behaves like its predecessor for everything we do serve.
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


MIN = Version(2, 1)
MAX = Version(2, 96)

CHANGES: dict[str, str] = {
    "2.1": "base v2.1 API",
    "2.2": "keypair type (ssh/x509); keypair create 201, delete 204",
    "2.3": "admin-only extended server attributes: reservation_id, launch_index, kernel_id, ramdisk_id, hostname, root_device_name, user_data",
    "2.4": "(n/a) fixed IP reserved field",
    "2.5": "(n/a) os-migrations ip filter",
    "2.6": "(n/a) remote-consoles API",
    "2.7": "(n/a) security group check in port binding",
    "2.8": "(n/a) MKS consoles",
    "2.9": "server 'locked' attribute",
    "2.10": "keypairs of other users for admins (user_id query/body)",
    "2.11": "os-services forced_down",
    "2.12": "(n/a) interface net_id",
    "2.13": "server groups show user_id and project_id",
    "2.14": "(n/a) evacuate onSharedStorage removed",
    "2.15": "soft-affinity and soft-anti-affinity server group policies",
    "2.16": "server host_status",
    "2.17": "(n/a) trigger crash dump",
    "2.18": "project id optional in URLs",
    "2.19": "server description",
    "2.20": "(n/a) volume operations for shelved servers",
    "2.21": "instance actions of deleted servers",
    "2.22": "(n/a) live migration force complete",
    "2.23": "(n/a) migrations show",
    "2.24": "(n/a) abort live migration",
    "2.25": "(n/a) block_migration auto",
    "2.26": "server tags",
    "2.27": "OpenStack-API-Version header",
    "2.28": "hypervisor cpu_info is an object",
    "2.29": "(n/a) evacuate force",
    "2.30": "(n/a) live migration force",
    "2.31": "(n/a) serial console URL",
    "2.32": "(n/a) device tags (networks)",
    "2.33": "hypervisors pagination (limit, marker)",
    "2.34": "(n/a) async live-migration checks",
    "2.35": "keypairs pagination (limit, marker)",
    "2.36": "proxy APIs removed; network quotas and limits removed",
    "2.37": "networks required at server create: 'auto', 'none' or a list",
    "2.38": "invalid server status filter -> 400",
    "2.39": "image-metadata proxy removed; maxImageMeta dropped from limits",
    "2.40": "simple tenant usage pagination",
    "2.41": "(n/a) aggregate uuid",
    "2.42": "(n/a) device tags restored",
    "2.43": "(n/a) os-hosts removed",
    "2.44": "(n/a) addFixedIp/removeFixedIp/addFloatingIp removed",
    "2.45": "createImage returns {'image_id'} and no Location header",
    "2.46": "instance action request_id",
    "2.47": "server flavor embedded (vcpus, ram, disk, ephemeral, swap, original_name, extra_specs)",
    "2.48": "(n/a) server diagnostics",
    "2.49": "tag on os-volume_attachments create",
    "2.50": "server_groups and server_group_members in quota class sets",
    "2.51": "(n/a) volume-extended events",
    "2.52": "tags at server create",
    "2.53": "services and hypervisors identified by UUID",
    "2.54": "rebuild with key_name",
    "2.55": "flavor description",
    "2.56": "(n/a) cold migration to a host",
    "2.57": "rebuild user_data; personality removed",
    "2.58": "instance actions pagination, changes-since, updated_at",
    "2.59": "(n/a) migrations pagination",
    "2.60": "(n/a) multiattach volumes",
    "2.61": "flavor extra_specs in flavor views",
    "2.62": "instance action events host and hostId",
    "2.63": "trusted_image_certificates",
    "2.64": "server group 'policy' and 'rules' replace 'policies'",
    "2.65": "(n/a) abort queued live migration",
    "2.66": "changes-before filter",
    "2.67": "(n/a) block device volume_type",
    "2.68": "(n/a) evacuate force removed",
    "2.69": "(n/a) down-cell partial results",
    "2.70": "tag in os-volume_attachments views",
    "2.71": "server_groups in server show",
    "2.72": "(n/a) ports with resource requests",
    "2.73": "lock with locked_reason",
    "2.74": "(n/a) host/hypervisor_hostname at create",
    "2.75": "strict query parameters on server list; PUT/rebuild return the full server; flavor swap 0 instead of ''",
    "2.76": "(n/a) power-update external event",
    "2.77": "(n/a) unshelve availability_zone",
    "2.78": "(n/a) server topology",
    "2.79": "delete_on_termination on os-volume_attachments create and views",
    "2.80": "(n/a) migrations user/project filter",
    "2.81": "(n/a) image cache",
    "2.82": "(n/a) accelerator events",
    "2.83": "more server list filters for non-admins",
    "2.84": "instance action event details",
    "2.85": "PUT os-volume_attachments changes delete_on_termination (else: swap, Cinder's)",
    "2.86": "(n/a) extra spec validation",
    "2.87": "(n/a) rescue of volume-backed servers",
    "2.88": "hypervisor views drop inventory fields; statistics removed",
    "2.89": "attachment_id and bdm_uuid instead of id in os-volume_attachments views",
    "2.90": "configurable hostname; OS-EXT-SRV-ATTR:hostname for everyone",
    "2.91": "(n/a) unshelve to host",
    "2.92": "keypair generation removed: public_key required",
    "2.93": "(n/a) rebuild of volume-backed servers",
    "2.94": "hostname may be an FQDN",
    "2.95": "(n/a) evacuate to stopped",
    "2.96": "pinned_availability_zone in server views",
}

_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")
SERVICE = "compute"


def parse(value: str) -> Version:
    """A header value (``2.47``, ``latest``) -> a version; 400 if malformed,
    406 if outside [MIN, MAX]."""
    v = value.strip()
    if v.lower() == "latest":
        return MAX
    m = _RE.match(v)
    if not m:
        raise BadRequest(f"API Version String {v} is of invalid format. Must be of format MajorNum.MinorNum.")
    ver = Version(int(m.group(1)), int(m.group(2)))
    if not (MIN <= ver <= MAX):
        raise NotAcceptable(f"Version {v} is not supported by the API. Minimum is {MIN} and maximum is {MAX}.")
    return ver


def from_headers(headers: dict[str, str]) -> tuple[Version, str | None, str | None]:
    """The version a request asks for, plus the raw header values to echo back
    (new-style ``OpenStack-API-Version: compute X.Y`` wins over the legacy one)."""
    new = headers.get("openstack-api-version")
    legacy = headers.get("x-openstack-nova-api-version")
    if new is not None:
        for part in new.split(","):
            service, _, ver = part.strip().partition(" ")
            if service.lower() == SERVICE:
                return parse(ver), ver.strip(), legacy
    if legacy is not None:
        return parse(legacy), None, legacy.strip()
    return MIN, None, None


def assert_table_complete() -> None:
    expected = [f"2.{i}" for i in range(MIN.minor, MAX.minor + 1)]
    missing = [v for v in expected if v not in CHANGES]
    if missing:
        raise AssertionError(f"microversions without a table entry: {missing}")
