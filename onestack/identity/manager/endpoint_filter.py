"""OS-EP-FILTER: endpoints and endpoint groups associated with projects.

When a project's associations name any endpoint, the catalog in its tokens lists
only those endpoints (and drops services left without one); otherwise it gets the
whole catalog (upstream's ``return_all_endpoints_if_no_filter = true``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.identity.manager.common import get_or_404, new_id
from onestack.identity.models import Endpoint, EndpointGroup, ProjectEndpoint, ProjectEndpointGroup

if TYPE_CHECKING:
    from onestack.identity.manager.core import IdentityManager

FILTER_KEYS = ("service_id", "region_id", "interface")


class EndpointFilterManager:
    def __init__(self, idm: IdentityManager) -> None:
        self.idm = idm

    def _changed(self) -> None:
        self.idm.catalog._bump()  # cached catalogs are per project

    # ---- endpoint groups --------------------------------------------------------
    @staticmethod
    def _check_filters(filters: Any) -> dict[str, Any]:
        if not isinstance(filters, dict) or not filters:
            raise BadRequest("filters field is required and cannot be empty")
        bad = [k for k in filters if k not in FILTER_KEYS]
        if bad:
            raise BadRequest(f"Invalid input for field 'filters': {bad[0]!r} is not one of {list(FILTER_KEYS)}.")
        return dict(filters)

    def get_group(self, s: Session, group_id: str) -> EndpointGroup:
        return get_or_404(s, EndpointGroup, group_id, "endpoint group")

    def list_groups(self, s: Session, q: Mapping[str, str]) -> list[EndpointGroup]:
        stmt = sa.select(EndpointGroup).order_by(EndpointGroup.name, EndpointGroup.id)
        if "name" in q:
            stmt = stmt.where(EndpointGroup.name == q["name"])
        return list(s.scalars(stmt))

    def create_group(self, s: Session, body: Mapping[str, Any]) -> EndpointGroup:
        g = EndpointGroup(id=new_id(), name=body["name"], description=body.get("description"),
                          filters=self._check_filters(body.get("filters")))
        s.add(g)
        s.flush()
        self._changed()
        return g

    def update_group(self, s: Session, group_id: str, body: Mapping[str, Any]) -> EndpointGroup:
        g = self.get_group(s, group_id)
        if "filters" in body:
            g.filters = self._check_filters(body["filters"])
        for f in ("name", "description"):
            if f in body:
                setattr(g, f, body[f])
        self._changed()
        return g

    def delete_group(self, s: Session, group_id: str) -> None:
        g = self.get_group(s, group_id)
        s.execute(sa.delete(ProjectEndpointGroup).where(ProjectEndpointGroup.endpoint_group_id == g.id))
        s.delete(g)
        self._changed()

    def group_endpoints(self, s: Session, g: EndpointGroup) -> list[Endpoint]:
        stmt = sa.select(Endpoint).order_by(Endpoint.id)
        for key, value in (g.filters or {}).items():
            stmt = stmt.where(getattr(Endpoint, key) == value)
        return list(s.scalars(stmt))

    # ---- endpoint groups <-> projects ----------------------------------------------
    def group_project_ids(self, s: Session, group_id: str) -> list[str]:
        return list(s.scalars(sa.select(ProjectEndpointGroup.project_id)
                              .where(ProjectEndpointGroup.endpoint_group_id == group_id)))

    def project_groups(self, s: Session, project_id: str) -> list[EndpointGroup]:
        return list(s.scalars(sa.select(EndpointGroup).join(
            ProjectEndpointGroup, ProjectEndpointGroup.endpoint_group_id == EndpointGroup.id,
        ).where(ProjectEndpointGroup.project_id == project_id).order_by(EndpointGroup.name)))

    def check_group_in_project(self, s: Session, group_id: str, project_id: str) -> None:
        if s.get(ProjectEndpointGroup, (group_id, project_id)) is None:
            raise NotFound(f"Could not find endpoint group {group_id} in project {project_id}.")

    def add_group_to_project(self, s: Session, group_id: str, project_id: str) -> None:
        if s.get(ProjectEndpointGroup, (group_id, project_id)) is None:
            s.add(ProjectEndpointGroup(endpoint_group_id=group_id, project_id=project_id))
            self._changed()

    def remove_group_from_project(self, s: Session, group_id: str, project_id: str) -> None:
        self.check_group_in_project(s, group_id, project_id)
        s.execute(sa.delete(ProjectEndpointGroup).where(
            ProjectEndpointGroup.endpoint_group_id == group_id, ProjectEndpointGroup.project_id == project_id))
        self._changed()

    # ---- endpoints <-> projects ------------------------------------------------------
    def endpoint_project_ids(self, s: Session, endpoint_id: str) -> list[str]:
        return list(s.scalars(sa.select(ProjectEndpoint.project_id)
                              .where(ProjectEndpoint.endpoint_id == endpoint_id)))

    def check_endpoint_in_project(self, s: Session, endpoint_id: str, project_id: str) -> None:
        if s.get(ProjectEndpoint, (endpoint_id, project_id)) is None:
            raise NotFound(f"Endpoint {endpoint_id} not found in project {project_id}.")

    def add_endpoint_to_project(self, s: Session, endpoint_id: str, project_id: str) -> None:
        if s.get(ProjectEndpoint, (endpoint_id, project_id)) is not None:
            raise Conflict("Conflict occurred attempting to store project_endpoint - Duplicate entry.")
        s.add(ProjectEndpoint(endpoint_id=endpoint_id, project_id=project_id))
        self._changed()

    def remove_endpoint_from_project(self, s: Session, endpoint_id: str, project_id: str) -> None:
        self.check_endpoint_in_project(s, endpoint_id, project_id)
        s.execute(sa.delete(ProjectEndpoint).where(
            ProjectEndpoint.endpoint_id == endpoint_id, ProjectEndpoint.project_id == project_id))
        self._changed()

    def project_endpoints(self, s: Session, project_id: str) -> list[Endpoint]:
        """Directly associated endpoints, then those of associated endpoint groups."""
        out: dict[str, Endpoint] = {}
        for ep in s.scalars(sa.select(Endpoint).join(ProjectEndpoint, ProjectEndpoint.endpoint_id == Endpoint.id)
                            .where(ProjectEndpoint.project_id == project_id).order_by(Endpoint.id)):
            out[ep.id] = ep
        for g in self.project_groups(s, project_id):
            for ep in self.group_endpoints(s, g):
                out.setdefault(ep.id, ep)
        return list(out.values())

    def delete_for_project(self, s: Session, project_id: str) -> None:
        s.execute(sa.delete(ProjectEndpoint).where(ProjectEndpoint.project_id == project_id))
        s.execute(sa.delete(ProjectEndpointGroup).where(ProjectEndpointGroup.project_id == project_id))
        self._changed()

    def filter_catalog(self, s: Session, project_id: str, catalog: list[dict[str, Any]]) -> list[dict[str, Any]]:
        associated = self.project_endpoints(s, project_id)
        if not associated:  # upstream: no association, no filtering
            return catalog
        allowed = {ep.id for ep in associated if ep.enabled}
        out = []
        for svc in catalog:
            eps = [e for e in svc["endpoints"] if e["id"] in allowed]
            if eps:
                out.append({**svc, "endpoints": eps})
        return out
