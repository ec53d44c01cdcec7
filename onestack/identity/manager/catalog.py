"""Regions, services and endpoints; the catalog rendered into tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database
from onestack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from onestack.identity.manager.common import flush_or_conflict, get_or_404, new_id
from onestack.identity.models import CatalogService, Endpoint, Region

INTERFACES = ("public", "internal", "admin")


class CatalogManager:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.generation = 0  # bumped on every change; token renderers cache by it

    def _bump(self) -> None:
        self.generation += 1

    # ---- regions --------------------------------------------------------------
    def get_region(self, s: Session, region_id: str) -> Region:
        return get_or_404(s, Region, region_id, "region")

    def create_region(self, s: Session, body: Mapping[str, Any], region_id: str | None = None) -> Region:
        rid = region_id or body.get("id") or new_id()
        if s.get(Region, rid) is not None:
            raise Conflict(f"Conflict occurred attempting to store region - Duplicate ID, {rid}.")
        parent = body.get("parent_region_id")
        if parent:
            if s.get(Region, parent) is None:
                raise NotFound(f"Could not find region: {parent}.")
            if parent == rid:
                raise BadRequest("Circular reference in the region tree.")
        r = Region(id=rid, description=body.get("description") or "", parent_region_id=parent or None,
                   extra={k: v for k, v in body.items() if k not in ("id", "description", "parent_region_id")})
        s.add(r)
        flush_or_conflict(s, f"region - Duplicate ID, {rid}.")
        self._bump()
        return r

    def update_region(self, s: Session, region_id: str, body: Mapping[str, Any]) -> Region:
        r = self.get_region(s, region_id)
        if "id" in body and body["id"] != region_id:
            raise BadRequest("Update of `id` is not allowed.")
        if "description" in body:
            r.description = body["description"] or ""  # upstream stores null as ""
        if "parent_region_id" in body:
            parent = body["parent_region_id"]
            cur = parent
            while cur:
                if cur == region_id:
                    raise BadRequest("Circular reference in the region tree.")
                p = s.get(Region, cur)
                if p is None:
                    raise NotFound(f"Could not find region: {cur}.")
                cur = p.parent_region_id
            r.parent_region_id = parent
        self._bump()
        return r

    def delete_region(self, s: Session, region_id: str) -> None:
        r = self.get_region(s, region_id)
        # upstream: the region goes with its child regions, unless any of them has endpoints
        tree, frontier = [region_id], [region_id]
        while frontier:
            frontier = [k for k in s.scalars(sa.select(Region.id).where(Region.parent_region_id.in_(frontier)))
                        if k not in tree]
            tree += frontier
        if s.scalar(sa.select(sa.func.count()).where(Endpoint.region_id.in_(tree))):
            raise Forbidden(f"Unable to delete region {region_id} because it or its child regions have associated endpoints.")
        for rid in reversed(tree[1:]):
            s.execute(sa.delete(Region).where(Region.id == rid))
        s.delete(r)
        self._bump()

    def list_regions(self, s: Session, q: Mapping[str, str]) -> list[Region]:
        stmt = sa.select(Region).order_by(Region.id)
        if "parent_region_id" in q:
            stmt = stmt.where(Region.parent_region_id == q["parent_region_id"])
        return list(s.scalars(stmt))

    # ---- services -------------------------------------------------------------
    def get_service(self, s: Session, service_id: str) -> CatalogService:
        return get_or_404(s, CatalogService, service_id, "service")

    def create_service(self, s: Session, body: Mapping[str, Any]) -> CatalogService:
        svc = CatalogService(id=new_id(), type=body["type"], enabled=body.get("enabled", True),
                             extra={k: v for k, v in body.items() if k not in ("type", "enabled", "id")})
        s.add(svc)
        s.flush()
        self._bump()
        return svc

    def update_service(self, s: Session, service_id: str, body: Mapping[str, Any]) -> CatalogService:
        svc = self.get_service(s, service_id)
        if "type" in body:
            svc.type = body["type"]
        if "enabled" in body:
            svc.enabled = body["enabled"]
        extra = {k: v for k, v in body.items() if k not in ("type", "enabled", "id")}
        svc.extra = {**(svc.extra or {}), **extra}
        self._bump()
        return svc

    def delete_service(self, s: Session, service_id: str) -> None:
        svc = self.get_service(s, service_id)
        s.execute(sa.delete(Endpoint).where(Endpoint.service_id == service_id))
        s.delete(svc)
        self._bump()

    def list_services(self, s: Session, q: Mapping[str, str]) -> list[CatalogService]:
        stmt = sa.select(CatalogService).order_by(CatalogService.type, CatalogService.id)
        if "type" in q:
            stmt = stmt.where(CatalogService.type == q["type"])
        rows = list(s.scalars(stmt))
        if "name" in q:
            rows = [r for r in rows if (r.extra or {}).get("name") == q["name"]]
        return rows

    # ---- endpoints --------------------------------------------------------------
    def get_endpoint(self, s: Session, endpoint_id: str) -> Endpoint:
        return get_or_404(s, Endpoint, endpoint_id, "endpoint")

    def _check_endpoint(self, s: Session, body: Mapping[str, Any]) -> None:
        if "interface" in body and body["interface"] not in INTERFACES:
            raise BadRequest(f"Invalid input for field 'interface': {body['interface']!r} is not one of {list(INTERFACES)}.")
        if "service_id" in body:
            s_id = body["service_id"]
            if not isinstance(s_id, str) or s.get(CatalogService, s_id) is None:
                raise BadRequest(f"Could not find service: {s_id}.")
        region = body.get("region_id")
        legacy = body.get("region")
        if region is None and isinstance(legacy, str) and legacy:
            # upstream, for v2-style clients: a legacy ``region`` that does not
            # exist yet is created (``region_id`` must exist)
            if s.get(Region, legacy) is None:
                self.create_region(s, {}, region_id=legacy)
        elif region and s.get(Region, region) is None:
            raise BadRequest(f"Could not find region: {region}.")

    def create_endpoint(self, s: Session, body: Mapping[str, Any]) -> Endpoint:
        self._check_endpoint(s, body)
        ep = Endpoint(
            id=new_id(), service_id=body["service_id"], interface=body["interface"],
            url=body["url"], region_id=body.get("region_id") or body.get("region"),
            enabled=body.get("enabled", True),
            extra={k: v for k, v in body.items() if k not in ("service_id", "interface", "url", "region_id", "region", "enabled", "id")},
        )
        s.add(ep)
        s.flush()
        self._bump()
        return ep

    def update_endpoint(self, s: Session, endpoint_id: str, body: Mapping[str, Any]) -> Endpoint:
        ep = self.get_endpoint(s, endpoint_id)
        self._check_endpoint(s, body)
        for f in ("service_id", "interface", "url", "enabled"):
            if f in body:
                setattr(ep, f, body[f])
        if "region_id" in body or "region" in body:
            ep.region_id = body.get("region_id", body.get("region"))
        self._bump()
        return ep

    def delete_endpoint(self, s: Session, endpoint_id: str) -> None:
        s.delete(self.get_endpoint(s, endpoint_id))
        self._bump()

    def list_endpoints(self, s: Session, q: Mapping[str, str]) -> list[Endpoint]:
        stmt = sa.select(Endpoint).order_by(Endpoint.service_id, Endpoint.interface)
        if "interface" in q:
            stmt = stmt.where(Endpoint.interface == q["interface"])
        if "service_id" in q:
            stmt = stmt.where(Endpoint.service_id == q["service_id"])
        if "region_id" in q:
            stmt = stmt.where(Endpoint.region_id == q["region_id"])
        return list(s.scalars(stmt))

    def ensure(self, s: Session, region: str, service_type: str, name: str, urls: Mapping[str, str]) -> None:
        """Make the region, service and endpoints exist (bootstrap; idempotent)."""
        if s.get(Region, region) is None:
            self.create_region(s, {"description": ""}, region_id=region)
        svc = s.scalar(sa.select(CatalogService).where(CatalogService.type == service_type))
        if svc is None:
            svc = self.create_service(s, {"type": service_type, "name": name, "enabled": True})
        for iface, url in urls.items():
            ep = s.scalar(sa.select(Endpoint).where(
                Endpoint.service_id == svc.id, Endpoint.interface == iface, Endpoint.region_id == region))
            if ep is None:
                self.create_endpoint(s, {"service_id": svc.id, "interface": iface, "url": url, "region_id": region})
            elif ep.url != url:
                ep.url = url
                self._bump()

    def catalog(self, s: Session, project_id: str | None = None) -> list[dict[str, Any]]:
        """The catalog as tokens and /v3/auth/catalog carry it."""
        services = list(s.scalars(sa.select(CatalogService).where(CatalogService.enabled.is_(True))))
        eps = list(s.scalars(sa.select(Endpoint).where(Endpoint.enabled.is_(True))))
        by_service: dict[str, list[Endpoint]] = {}
        for ep in eps:
            by_service.setdefault(ep.service_id, []).append(ep)
        out = []
        for svc in services:
            entries = []
            for ep in by_service.get(svc.id, []):
                url = ep.url
                if project_id:
                    url = url.replace("$(project_id)s", project_id).replace("$(tenant_id)s", project_id)
                elif "$(" in url:
                    continue
                entries.append({"id": ep.id, "interface": ep.interface, "region_id": ep.region_id,
                                "region": ep.region_id, "url": url})
            out.append({"id": svc.id, "type": svc.type, "name": (svc.extra or {}).get("name", ""),
                        "endpoints": entries})
        return out
