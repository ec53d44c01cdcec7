"""Network service tables (Neutron core): networks, subnets, subnet pools, ports,
IP allocations, port security group bindings, tags and quotas.

Every resource row carries Neutron's standard attributes: ``description``,
``revision_number`` (bumped on every change), ``created_at`` and ``updated_at``.
Tags live in one table for every resource type (ids are UUIDs), so the L3 tables
(``models_l3.py``: routers, floating IPs, security groups) use it too.

IPAM's correctness under concurrency rests on the primary key of
``network_ip_allocations``: (subnet_id, ip_address).  Two racing transactions that
picked the same address cannot both commit; the loser retries with another one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, JSONText, UTCDateTime, utcnow


class StandardAttrs:
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    revision_number: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Network(StandardAttrs, Base):
    __tablename__ = "networks"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="ACTIVE")
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    shared: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    external: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # the project's default external network (auto-allocated topology)
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    mtu: Mapped[int] = mapped_column(sa.Integer)
    port_security_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    network_type: Mapped[str] = mapped_column(sa.String(32), default="vxlan")
    physical_network: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    # the VXLAN VNI; unique among networks that have one
    segmentation_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True, unique=True)
    availability_zone_hints: Mapped[Any] = mapped_column(JSONText, default=list)
    dns_domain: Mapped[str] = mapped_column(sa.String(255), default="")


class SubnetPool(StandardAttrs, Base):
    __tablename__ = "network_subnetpools"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    ip_version: Mapped[int] = mapped_column(sa.Integer)
    default_prefixlen: Mapped[int] = mapped_column(sa.Integer)
    min_prefixlen: Mapped[int] = mapped_column(sa.Integer)
    max_prefixlen: Mapped[int] = mapped_column(sa.Integer)
    shared: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    default_quota: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    address_scope_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    # list of CIDR strings (compacted)
    prefixes: Mapped[Any] = mapped_column(JSONText, default=list)


class Subnet(StandardAttrs, Base):
    __tablename__ = "subnets"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    network_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    ip_version: Mapped[int] = mapped_column(sa.Integer)
    cidr: Mapped[str] = mapped_column(sa.String(64))
    gateway_ip: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    enable_dhcp: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    ipv6_ra_mode: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    ipv6_address_mode: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    subnetpool_id: Mapped[str | None] = mapped_column(
        sa.String(36), sa.ForeignKey("network_subnetpools.id"), nullable=True, index=True
    )
    # [{"start": ip, "end": ip}, ...]
    allocation_pools: Mapped[Any] = mapped_column(JSONText, default=list)
    dns_nameservers: Mapped[Any] = mapped_column(JSONText, default=list)
    # [{"destination": cidr, "nexthop": ip}, ...]
    host_routes: Mapped[Any] = mapped_column(JSONText, default=list)
    service_types: Mapped[Any] = mapped_column(JSONText, default=list)
    segment_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    dns_publish_fixed_ip: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Port(StandardAttrs, Base):
    __tablename__ = "ports"
    __table_args__ = (sa.UniqueConstraint("network_id", "mac_address"),)
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    network_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    mac_address: Mapped[str] = mapped_column(sa.String(32))
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="DOWN")
    device_id: Mapped[str] = mapped_column(sa.String(255), default="", index=True)
    device_owner: Mapped[str] = mapped_column(sa.String(255), default="")
    port_security_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # [{"ip_address": ip or cidr, "mac_address": mac}, ...]
    allowed_address_pairs: Mapped[Any] = mapped_column(JSONText, default=list)
    binding_host_id: Mapped[str] = mapped_column(sa.String(255), default="")
    binding_vnic_type: Mapped[str] = mapped_column(sa.String(64), default="normal")
    binding_vif_type: Mapped[str] = mapped_column(sa.String(64), default="unbound")
    binding_vif_details: Mapped[Any] = mapped_column(JSONText, default=dict)
    binding_profile: Mapped[Any] = mapped_column(JSONText, default=dict)
    dns_name: Mapped[str] = mapped_column(sa.String(255), default="")
    extra_dhcp_opts: Mapped[Any] = mapped_column(JSONText, default=list)
    # set when compute created the port for a server (deleted on server delete)
    created_by_compute: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class IPAllocation(Base):
    __tablename__ = "network_ip_allocations"
    subnet_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True
    )
    ip_address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    port_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("ports.id", ondelete="CASCADE"), index=True
    )
    network_id: Mapped[str] = mapped_column(sa.String(36), index=True)


class PortSecurityGroupBinding(Base):
    """Which security groups a port is in (the groups' table is the L3 helper's)."""

    __tablename__ = "network_port_security_groups"
    port_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True
    )
    security_group_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, index=True)


class Tag(Base):
    """Tags of any Neutron resource (networks, subnets, ports, routers, ...)."""

    __tablename__ = "network_tags"
    resource_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    resource_type: Mapped[str] = mapped_column(sa.String(32))


class Quota(Base):
    """A project's limit for one resource (absent: the default)."""

    __tablename__ = "network_quotas"
    project_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    resource: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(sa.Integer)
