"""Shared pieces of the network managers: Neutron's errors, the retry loop for
racing transactions, standard attributes, If-Match on revision numbers, the
lookups and checks that several resources make the same way."""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as db_exc
from sqlalchemy.orm import Session

from onestack.core.db import utcnow
from onestack.core.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound
from onestack.network.models import Network, Tag

LOG = logging.getLogger(__name__)
T = TypeVar("T")

# device owners that belong to the L3 side: deleting such a port through the port
# API is a 409 (L3PortInUse) while its router exists
ROUTER_OWNERS = frozenset({
    "network:router_interface", "network:router_gateway", "network:floatingip",
    "network:router_interface_distributed", "network:ha_router_replicated_interface",
    "network:router_centralized_snat",
})
DHCP_OWNER = "network:dhcp"


class RetryRequest(Exception):
    """Raised inside a transaction whose outcome lost a race (an IP or MAC another
    transaction took first): the whole unit of work runs again."""


def retrying(fn: Callable[..., T]) -> Callable[..., T]:
    """Run ``fn`` again (a new transaction each time) when it lost a race: a
    ``RetryRequest``, a deadlock (MariaDB, PostgreSQL) or SQLite's "database is
    locked" for a read transaction that another writer overtook."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        delay = 0.002
        for attempt in range(60):
            try:
                return fn(*args, **kwargs)
            except RetryRequest:
                pass
            except db_exc.OperationalError as e:
                text = str(e.orig).lower() if e.orig is not None else str(e).lower()
                if not any(w in text for w in ("locked", "deadlock", "could not serialize", "busy")):
                    raise
            except db_exc.IntegrityError as e:
                # a generated value (MAC, segmentation id) someone else took; explicit
                # values are checked before the insert and raise their own 409
                if attempt > 20:
                    raise
                LOG.debug("integrity error, retrying: %s", e)
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)
        raise Conflict("The request could not be completed: too much contention, try again.")

    return wrapper


def new_id() -> str:
    return str(uuid.uuid4())


def not_found(kind: str, rid: Any) -> NotFound:
    """``NetworkNotFound`` etc. with upstream's messages."""
    names = {"Network": "Network", "Subnet": "Subnet", "Port": "Port", "SubnetPool": "Subnet pool"}
    label = names.get(kind, kind)
    return NotFound(f"{label} {rid} could not be found.", type=f"{kind}NotFound")


def bad_request(message: str, type: str = "HTTPBadRequest") -> BadRequest:
    return BadRequest(message, type=type)


def invalid_input(message: str) -> BadRequest:
    return BadRequest(f"Invalid input for operation: {message}.", type="InvalidInput")


def conflict(message: str, type: str) -> Conflict:
    return Conflict(message, type=type)


def policy_denied(rule: str) -> Forbidden:
    return Forbidden(f"({rule}) is disallowed by policy", type="PolicyNotAuthorized")


def over_quota(resource: str) -> Conflict:
    return Conflict(f"Quota exceeded for resources: ['{resource}'].", type="OverQuota")


def touch(row: Any) -> None:
    """A change to a resource: bump ``revision_number`` and ``updated_at``."""
    row.revision_number = (row.revision_number or 0) + 1
    row.updated_at = utcnow()


def check_if_match(row: Any, if_match: str | None) -> None:
    """``If-Match: revision_number=N``: 412 unless the resource is at revision N."""
    if not if_match:
        return
    for part in if_match.split(","):
        part = part.strip()
        if not part.startswith("revision_number="):
            continue
        try:
            wanted = int(part.split("=", 1)[1])
        except ValueError:
            raise bad_request(f"Invalid If-Match header: {part}") from None
        if row.revision_number != wanted:
            raise ApiError(
                f"Constrained to {wanted}, but current revision is {row.revision_number}",
                status=412, type="RevisionNumberConstraintFailed",
            )


def std_attrs(row: Any) -> dict[str, Any]:
    return {
        "description": row.description or "",
        "revision_number": row.revision_number or 0,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def tf(value: Any) -> str:
    """Booleans as policy targets compare them."""
    return "True" if value else "False"


def require_dict(body: Any, key: str) -> dict[str, Any]:
    if not isinstance(body, Mapping) or not isinstance(body.get(key), Mapping):
        raise bad_request(f"Resource body required: '{key}' is missing or not an object.")
    return dict(body[key])


def bad(message: str, type: str = "BadRequest") -> BadRequest:
    return BadRequest(message, type=type)


def requested_owner(ctx: Any, body: Mapping[str, Any]) -> str:
    """The project a new router or floating IP belongs to: the caller's, or the one an
    admin names with ``project_id``/``tenant_id`` (which must then agree)."""
    pid, tid = body.get("project_id"), body.get("tenant_id")
    for v in (pid, tid):
        if v is not None and (not isinstance(v, str) or len(v) > 64):
            raise bad(f"Invalid input for project_id. Reason: '{v}' is not a valid string.",
                      "InvalidInput")
    if pid and tid and pid != tid:
        raise bad("'project_id' and 'tenant_id' do not match")
    wanted = pid or tid
    if wanted and wanted != ctx.project_id and not ctx.is_admin:
        raise bad("Specifying 'project_id' or 'tenant_id' other than the authenticated project in "
                  "request requires admin privileges")
    return str(wanted or ctx.project_id or "")


def add_tags(s: Any, resource_id: str, resource_type: str, tags: Any) -> None:
    """The ``tags`` given on create (a list of strings of at most 60 characters)."""
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 60 for t in tags):
        raise bad("Invalid input for tags. Reason: not a list of strings.", "InvalidInput")
    for t in dict.fromkeys(tags):
        s.add(Tag(resource_id=resource_id, tag=t, resource_type=resource_type))


def boolean(value: Any, name: str, type: str = "InvalidInput") -> bool:
    """A boolean attribute (``"true"``/``"false"``/``"1"``/``"0"`` and 0/1 too); a 400 of
    ``type`` for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise bad(f"Invalid input for {name}. Reason: '{value}' cannot be converted to boolean.", type)


def reject_unknown(body: Mapping[str, Any], allowed: Iterable[str], *, update: bool = False,
                   type: str = "BadRequest") -> None:
    """400 for keys a resource does not have (on update: or cannot change), as upstream
    words it."""
    unknown = set(body) - set(allowed)
    if not unknown:
        return
    names = ", ".join(sorted(unknown))
    if update:
        raise bad(f"Cannot update read-only attribute(s) or unknown attribute(s) '{names}'", type)
    raise bad(f"Unrecognized attribute(s) '{names}'", type)


def owned_visible(model: Any, ctx: Any) -> Any:
    """The SQL condition for the rows of a resource that only its project (and an admin)
    sees: routers, floating IPs."""
    return sa.true() if ctx.is_admin else model.project_id == (ctx.project_id or "")


def owned_row(s: Session, model: type[T], ctx: Any, rid: Any,
              missing: Callable[[Any], Exception]) -> T:
    """One such row by id; ``missing(rid)`` (a 404) when there is none or it is another
    project's (``ctx`` None: any project's)."""
    row: Any = s.get(model, rid) if isinstance(rid, str) else None
    if row is None or (ctx is not None and not ctx.is_admin and row.project_id != ctx.project_id):
        raise missing(rid)
    return row  # type: ignore[no-any-return]


Target = Callable[[Any, Network], dict[str, Any]]


def enforce_on_network(mgr: Any, s: Session, ctx: Any, row: Any, rule: str,
                       target: Target) -> tuple[Network, dict[str, Any]]:
    """For a subnet or port the caller sees: its network and the policy target of the two
    (``target(row, network)``), with ``rule`` enforced on it."""
    net = s.get(Network, row.network_id)
    assert net is not None
    tgt = target(row, net)
    mgr.enforce(ctx, rule, tgt)
    return net, tgt
