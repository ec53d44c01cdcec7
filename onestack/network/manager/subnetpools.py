"""Subnet pools: prefixes to allocate subnets from (``subnet_allocation``,
``default-subnetpools``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.network.manager import attrs
from onestack.network.manager.attrs import Attr
from onestack.network.manager.common import (
    bad_request,
    check_if_match,
    conflict,
    new_id,
    not_found,
    retrying,
    std_attrs,
    tf,
    touch,
)
from onestack.network.manager.listing import ListSpec, collection, page, select_fields
from onestack.network.models import Subnet, SubnetPool

if TYPE_CHECKING:
    from onestack.network.manager import NetworkManager


def _prefixes(name: str, v: Any) -> list[str]:
    if not isinstance(v, list) or not v:
        raise attrs.fail(name, f"'{v}' is not a non-empty list")
    return [str(ipaddress.ip_network(attrs.cidr(name, x), strict=False)) for x in v]


SPEC: dict[str, Attr] = {
    "name": Attr(attrs.string(255)),
    "description": Attr(attrs.string(255)),
    "prefixes": Attr(_prefixes),
    "default_prefixlen": Attr(attrs.integer(0, 128)),
    "min_prefixlen": Attr(attrs.integer(0, 128)),
    "max_prefixlen": Attr(attrs.integer(0, 128)),
    "shared": Attr(attrs.boolean, put=False),
    "is_default": Attr(attrs.boolean),
    "default_quota": Attr(attrs.integer(0, nullable=True)),
    "address_scope_id": Attr(attrs.uuid_str(nullable=True)),
}

LIST = ListSpec(
    SubnetPool, "subnetpools",
    filters={"id": (SubnetPool.id, "str"), "name": (SubnetPool.name, "str"),
             "project_id": (SubnetPool.project_id, "str"), "tenant_id": (SubnetPool.project_id, "str"),
             "ip_version": (SubnetPool.ip_version, "int"), "shared": (SubnetPool.shared, "bool"),
             "is_default": (SubnetPool.is_default, "bool"),
             "default_prefixlen": (SubnetPool.default_prefixlen, "int"),
             "min_prefixlen": (SubnetPool.min_prefixlen, "int"),
             "max_prefixlen": (SubnetPool.max_prefixlen, "int"),
             "address_scope_id": (SubnetPool.address_scope_id, "str"),
             "description": (SubnetPool.description, "str"),
             "revision_number": (SubnetPool.revision_number, "int")},
    sorts={"id": SubnetPool.id, "name": SubnetPool.name, "project_id": SubnetPool.project_id,
           "ip_version": SubnetPool.ip_version, "created_at": SubnetPool.created_at,
           "updated_at": SubnetPool.updated_at},
    tag_type="subnetpools",
    ignored=frozenset({"prefixes", "default_quota"}),
)


def target(p: SubnetPool) -> dict[str, Any]:
    return {"project_id": p.project_id, "tenant_id": p.project_id, "shared": tf(p.shared), "id": p.id}


class SubnetPools:
    def __init__(self, mgr: NetworkManager) -> None:
        self.mgr = mgr

    def visible(self, ctx: RequestContext) -> Any:
        if ctx.is_admin:
            return sa.true()
        return sa.or_(SubnetPool.project_id == ctx.project_id, SubnetPool.shared.is_(True))

    def get_row(self, s: Session, ctx: RequestContext | None, pool_id: str) -> SubnetPool:
        p = s.get(SubnetPool, pool_id)
        if p is None or (ctx is not None and not (ctx.is_admin or p.shared or p.project_id == ctx.project_id)):
            raise not_found("SubnetPool", pool_id)
        return p

    def view(self, p: SubnetPool, tags: list[str]) -> dict[str, Any]:
        return {
            "id": p.id, "name": p.name, "tenant_id": p.project_id, "project_id": p.project_id,
            "ip_version": p.ip_version, "prefixes": list(p.prefixes or []),
            "default_prefixlen": p.default_prefixlen, "min_prefixlen": p.min_prefixlen,
            "max_prefixlen": p.max_prefixlen, "shared": p.shared, "is_default": p.is_default,
            "default_quota": p.default_quota, "address_scope_id": p.address_scope_id,
            "tags": tags, **std_attrs(p),
        }

    def list(self, ctx: RequestContext, query: Mapping[str, Any], url: str) -> dict[str, Any]:
        with self.mgr.db.session() as s:
            rows, links = page(s, LIST, query, base=sa.select(SubnetPool).where(self.visible(ctx)), url=url)
            tags = self.mgr.tags.of_many(s, [r.id for r in rows])
            return collection(LIST, query, [self.view(r, tags.get(r.id, [])) for r in rows], links)

    def show(self, ctx: RequestContext, pool_id: str, fields: list[str]) -> dict[str, Any]:
        with self.mgr.db.session() as s:
            p = self.get_row(s, ctx, pool_id)
            self.mgr.enforce(ctx, "get_subnetpool", target(p))
            return select_fields(self.view(p, self.mgr.tags.of(s, p.id)), fields)

    def _lens(self, version: int, values: dict[str, Any], cur: SubnetPool | None) -> tuple[int, int, int]:
        maxlen = 32 if version == 4 else 128
        lo = values.get("min_prefixlen", cur.min_prefixlen if cur else (8 if version == 4 else 64))
        hi = values.get("max_prefixlen", cur.max_prefixlen if cur else maxlen)
        default = values.get("default_prefixlen", cur.default_prefixlen if cur else lo)
        if not (0 <= lo <= default <= hi <= maxlen):
            raise bad_request("Illegal prefix bounds: min_prefixlen <= default_prefixlen <= "
                              f"max_prefixlen <= {maxlen} must hold.", "IllegalSubnetPoolPrefixBounds")
        return lo, hi, default

    def create(self, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
        values = attrs.validate(body, SPEC, create=True)
        if "prefixes" not in values:
            raise bad_request("Failed to parse request. Required attribute 'prefixes' not specified")
        project_id = attrs.owner(ctx, values, ctx.is_admin)
        tgt = {"project_id": project_id, "tenant_id": project_id, "shared": tf(values.get("shared"))}
        self.mgr.enforce(ctx, "create_subnetpool", tgt)
        for key in ("shared", "is_default"):
            if key in values:
                self.mgr.enforce(ctx, f"create_subnetpool:{key}", tgt)
        nets = [ipaddress.ip_network(x) for x in values["prefixes"]]
        versions = {n.version for n in nets}
        if len(versions) != 1:
            raise bad_request("Illegal subnetpool prefix: prefixes of mixed IP versions.",
                              "PrefixVersionMismatch")
        version = versions.pop()
        lo, hi, default = self._lens(version, values, None)
        prefixes = [str(n) for n in ipaddress.collapse_addresses(nets)]  # type: ignore[arg-type]
        return self._create(ctx, project_id, values, version, prefixes, lo, hi, default)

    @retrying
    def _create(self, ctx: RequestContext, project_id: str, values: dict[str, Any], version: int,
                prefixes: list[str], lo: int, hi: int, default: int) -> dict[str, Any]:
        with self.mgr.db.session() as s:
            self.mgr.quotas.check(s, project_id, "subnetpool")
            if values.get("is_default") and self.default_id(s, version):
                raise conflict("A default subnetpool for this IP family has already been set. Only "
                               "one default may exist per IP family", "InvalidInput")
            p = SubnetPool(id=new_id(), project_id=project_id, name=values.get("name", ""),
                           description=values.get("description", ""), ip_version=version,
                           default_prefixlen=default, min_prefixlen=lo, max_prefixlen=hi,
                           shared=values.get("shared", False), is_default=values.get("is_default", False),
                           default_quota=values.get("default_quota"),
                           address_scope_id=values.get("address_scope_id"), prefixes=prefixes,
                           revision_number=0)
            s.add(p)
            s.flush()
            return self.view(p, [])

    def update(self, ctx: RequestContext, pool_id: str, body: dict[str, Any],
               if_match: str | None = None) -> dict[str, Any]:
        values = attrs.validate(body, SPEC, create=False)
        with self.mgr.db.session() as s:
            p = self.get_row(s, ctx, pool_id)
            self.mgr.enforce(ctx, "update_subnetpool", target(p))
            if "is_default" in values:
                self.mgr.enforce(ctx, "update_subnetpool:is_default", target(p))
            check_if_match(p, if_match)
            lo, hi, default = self._lens(p.ip_version, values, p)
            if "prefixes" in values:
                new = [ipaddress.ip_network(x) for x in values["prefixes"]]
                if any(n.version != p.ip_version for n in new):
                    raise bad_request("Illegal subnetpool prefix: prefixes of mixed IP versions.",
                                      "PrefixVersionMismatch")
                old = [ipaddress.ip_network(x) for x in p.prefixes]
                for o in old:
                    if not any(o.subnet_of(n) for n in new):  # type: ignore[arg-type]
                        raise bad_request("Illegal update to prefixes: existing prefixes must be kept "
                                          "(subnet pools only grow).", "IllegalSubnetPoolPrefixUpdate")
                p.prefixes = [str(n) for n in ipaddress.collapse_addresses(new)]  # type: ignore[arg-type]
            p.min_prefixlen, p.max_prefixlen, p.default_prefixlen = lo, hi, default
            for key in ("name", "description", "is_default", "default_quota", "address_scope_id"):
                if key in values:
                    setattr(p, key, values[key])
            touch(p)
            s.flush()
            return self.view(p, self.mgr.tags.of(s, p.id))

    def delete(self, ctx: RequestContext, pool_id: str) -> None:
        with self.mgr.db.session() as s:
            p = self.get_row(s, ctx, pool_id)
            self.mgr.enforce(ctx, "delete_subnetpool", target(p))
            if s.scalar(sa.select(Subnet.id).where(Subnet.subnetpool_id == p.id).limit(1)):
                raise conflict(f"Unable to delete subnet pool: Subnet pool {pool_id} has subnets "
                               "allocated from it.", "SubnetPoolDeleteError")
            self.mgr.tags.drop(s, [p.id])
            s.delete(p)

    # ---- allocation --------------------------------------------------------------------
    def default_id(self, s: Session, version: int) -> str | None:
        return s.scalar(sa.select(SubnetPool.id).where(SubnetPool.is_default.is_(True),
                                                       SubnetPool.ip_version == version))

    def allocate_cidr(self, s: Session, ctx: RequestContext | None, pool_id: str, version: int,
                      cidr: str | None, prefixlen: int | None) -> str:
        p = self.get_row(s, ctx, pool_id)
        if p.ip_version != version:
            raise bad_request(f"Invalid input for operation: Cannot allocate IPv{version} subnet from "
                              f"IPv{p.ip_version} subnet pool.", "InvalidInput")
        pool_nets = [ipaddress.ip_network(x) for x in p.prefixes]
        used = [ipaddress.ip_network(c) for c in s.scalars(
            sa.select(Subnet.cidr).where(Subnet.subnetpool_id == p.id))]
        if cidr is not None:
            want = ipaddress.ip_network(cidr, strict=False)
            if not any(want.subnet_of(n) for n in pool_nets):  # type: ignore[arg-type]
                raise bad_request(f"Failed to allocate subnet: Cidr {cidr} is not in the subnet pool.",
                                  "SubnetAllocationError")
            if any(want.overlaps(u) for u in used):  # type: ignore[arg-type]
                raise conflict(f"Failed to allocate subnet: Cidr {cidr} overlaps with another subnet "
                               "of the subnet pool.", "SubnetAllocationError")
            return str(want)
        plen = p.default_prefixlen if prefixlen is None else prefixlen
        if not p.min_prefixlen <= plen <= p.max_prefixlen:
            raise bad_request(f"Unable to allocate subnet with prefix length {plen}, minimum allowed "
                              f"prefix is {p.min_prefixlen}, maximum is {p.max_prefixlen}.",
                              "SubnetAllocationError")
        for n in pool_nets:
            if n.prefixlen > plen:
                continue
            for cand in n.subnets(new_prefix=plen):
                if not any(cand.overlaps(u) for u in used):  # type: ignore[arg-type]
                    return str(cand)
        raise conflict(f"Failed to allocate subnet: Insufficient prefix space to allocate subnet size "
                       f"/{plen}.", "SubnetAllocationError")
