"""Identity tables.  Tokens have none: they are Fernet, validated from the keys alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, JSONText, UTCDateTime, utcnow

ROOT_DOMAIN = "<<keystone.domain.root>>"  # domain_id of a domain (a project with is_domain)
NULL_DOMAIN = "<<null>>"  # domain_id of a global role
ID = sa.String(64)


class Project(Base):
    """Projects and domains (a domain is a project with ``is_domain``), as upstream."""

    __tablename__ = "project"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    domain_id: Mapped[str] = mapped_column(ID, index=True)
    parent_id: Mapped[str | None] = mapped_column(ID, sa.ForeignKey("project.id"), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    is_domain: Mapped[bool] = mapped_column(sa.Boolean, default=False, index=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProjectTag(Base):
    __tablename__ = "project_tag"
    project_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


class User(Base):
    __tablename__ = "user"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    domain_id: Mapped[str] = mapped_column(ID, index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    default_project_id: Mapped[str | None] = mapped_column(ID)
    description: Mapped[str | None] = mapped_column(sa.Text)
    email: Mapped[str | None] = mapped_column(sa.Text)  # upstream keeps it in extra: no limit
    options: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    failed_auth_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    failed_auth_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_active_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Password(Base):
    """Every password a user has had, newest last: the history and the expiry."""

    __tablename__ = "password"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # microseconds since the epoch: orders passwords set within the same second
    created_at_int: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    self_service: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Group(Base):
    __tablename__ = "group"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    domain_id: Mapped[str] = mapped_column(ID, index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str | None] = mapped_column(sa.Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class Membership(Base):
    __tablename__ = "user_group_membership"
    user_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("group.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Role(Base):
    __tablename__ = "role"
    __table_args__ = (sa.UniqueConstraint("domain_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    domain_id: Mapped[str] = mapped_column(ID, default=NULL_DOMAIN)
    description: Mapped[str | None] = mapped_column(sa.Text)
    options: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class ImpliedRole(Base):
    __tablename__ = "implied_role"
    prior_role_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("role.id", ondelete="CASCADE"), primary_key=True
    )
    implied_role_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("role.id", ondelete="CASCADE"), primary_key=True
    )


class Assignment(Base):
    """A role of a user or group on a project, a domain or the system."""

    __tablename__ = "assignment"
    # type: UserProject, GroupProject, UserDomain, GroupDomain, UserSystem, GroupSystem
    type: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    actor_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    target_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    role_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("role.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    inherited: Mapped[bool] = mapped_column(sa.Boolean, primary_key=True, default=False)


class Region(Base):
    __tablename__ = "region"
    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    parent_region_id: Mapped[str | None] = mapped_column(sa.String(255))
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class CatalogService(Base):
    __tablename__ = "service"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(255), index=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class Endpoint(Base):
    __tablename__ = "endpoint"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    interface: Mapped[str] = mapped_column(sa.String(8))
    url: Mapped[str] = mapped_column(sa.Text)
    region_id: Mapped[str | None] = mapped_column(sa.String(255), sa.ForeignKey("region.id"))
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class ApplicationCredential(Base):
    __tablename__ = "application_credential"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[str | None] = mapped_column(ID)
    system: Mapped[str | None] = mapped_column(sa.String(16))
    secret_hash: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    unrestricted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    role_ids: Mapped[list[str]] = mapped_column(JSONText, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessRule(Base):
    __tablename__ = "access_rule"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    service: Mapped[str] = mapped_column(sa.String(64))
    path: Mapped[str] = mapped_column(sa.String(128))
    method: Mapped[str] = mapped_column(sa.String(16))


class AppCredAccessRule(Base):
    __tablename__ = "application_credential_access_rule"
    application_credential_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("application_credential.id", ondelete="CASCADE"), primary_key=True
    )
    access_rule_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("access_rule.id", ondelete="CASCADE"), primary_key=True
    )


class Credential(Base):
    __tablename__ = "credential"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, index=True)
    project_id: Mapped[str | None] = mapped_column(ID)
    type: Mapped[str] = mapped_column(sa.String(255))
    encrypted_blob: Mapped[str] = mapped_column(sa.Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class RevocationEvent(Base):
    """Upstream's revocation events: a token matching every set field is revoked."""

    __tablename__ = "revocation_event"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    domain_id: Mapped[str | None] = mapped_column(ID)
    project_id: Mapped[str | None] = mapped_column(ID)
    user_id: Mapped[str | None] = mapped_column(ID)
    role_id: Mapped[str | None] = mapped_column(ID)
    trust_id: Mapped[str | None] = mapped_column(ID)
    application_credential_id: Mapped[str | None] = mapped_column(ID)
    audit_id: Mapped[str | None] = mapped_column(sa.String(32))
    audit_chain_id: Mapped[str | None] = mapped_column(sa.String(32))
    # microseconds since the epoch (DATETIME precision differs between backends)
    issued_before: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Trust(Base):
    """OS-TRUST: a trustor delegates roles on a project to a trustee.  Deleted trusts
    are removed (no soft delete): tokens scoped to them fail validation."""

    __tablename__ = "trust"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    trustor_user_id: Mapped[str] = mapped_column(ID, index=True)
    trustee_user_id: Mapped[str] = mapped_column(ID, index=True)
    project_id: Mapped[str | None] = mapped_column(ID, index=True)
    impersonation: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    remaining_uses: Mapped[int | None] = mapped_column(sa.Integer)
    redelegated_trust_id: Mapped[str | None] = mapped_column(ID, index=True)
    redelegation_count: Mapped[int | None] = mapped_column(sa.Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrustRole(Base):
    __tablename__ = "trust_role"
    trust_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("trust.id", ondelete="CASCADE"), primary_key=True
    )
    # no foreign key, as upstream: a deleted role silently leaves the trust
    role_id: Mapped[str] = mapped_column(ID, primary_key=True)


class Policy(Base):
    """OS-POLICY: opaque policy blobs (upstream's deprecated but still served API)."""

    __tablename__ = "policy"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(255))
    blob: Mapped[str] = mapped_column(sa.Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class EndpointGroup(Base):
    """OS-EP-FILTER: a named filter (service_id, interface, region_id) over endpoints."""

    __tablename__ = "endpoint_group"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class ProjectEndpointGroup(Base):
    __tablename__ = "project_endpoint_group"
    endpoint_group_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("endpoint_group.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)


class ProjectEndpoint(Base):
    __tablename__ = "project_endpoint"
    endpoint_id: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("endpoint.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
