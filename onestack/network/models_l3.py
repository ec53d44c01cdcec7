"""Network service tables for L3 and security groups: security groups and their
rules, each project's default group, routers (+ extra routes) and floating IPs.

Router interfaces and gateways are plain ports (``models.Port``) whose
``device_id`` is the router's id and ``device_owner`` is
``network:router_interface`` / ``network:router_gateway``; a floating IP owns a
``network:floatingip`` port on its external network that holds its address.

Races: ``network_default_security_groups`` has the project as primary key, so two
requests that both create a project's default group cannot both commit; a fixed
IP gets at most one floating IP per external network through the unique key on
(floating_network_id, fixed_port_id, fixed_ip_address).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.network.models import StandardAttrs


class SecurityGroup(StandardAttrs, Base):
    __tablename__ = "security_groups"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    stateful: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class DefaultSecurityGroup(Base):
    """A project's ``default`` group (one per project)."""

    __tablename__ = "network_default_security_groups"
    project_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("security_groups.id", ondelete="CASCADE"), index=True
    )


class SecurityGroupRule(StandardAttrs, Base):
    __tablename__ = "security_group_rules"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    security_group_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("security_groups.id", ondelete="CASCADE"), index=True
    )
    # rules that name a group go away with it (as upstream)
    remote_group_id: Mapped[str | None] = mapped_column(
        sa.String(36), sa.ForeignKey("security_groups.id", ondelete="CASCADE"), nullable=True,
        index=True,
    )
    direction: Mapped[str] = mapped_column(sa.String(16))
    ethertype: Mapped[str] = mapped_column(sa.String(8))
    protocol: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    port_range_min: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    port_range_max: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    remote_ip_prefix: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)


class Router(StandardAttrs, Base):
    __tablename__ = "routers"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="ACTIVE")
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # the gateway port (``network:router_gateway``) on the external network
    gw_port_id: Mapped[str | None] = mapped_column(
        sa.String(36), sa.ForeignKey("ports.id", ondelete="SET NULL"), nullable=True, index=True
    )
    enable_snat: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class RouterRoute(Base):
    """An extra route of a router (``routes``)."""

    __tablename__ = "network_router_routes"
    router_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("routers.id", ondelete="CASCADE"), primary_key=True
    )
    destination: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    nexthop: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class FloatingIP(StandardAttrs, Base):
    __tablename__ = "floatingips"
    __table_args__ = (
        sa.UniqueConstraint("floating_network_id", "fixed_port_id", "fixed_ip_address"),
    )
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    floating_network_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("networks.id"), index=True
    )
    # the ``network:floatingip`` port that holds the address
    floating_port_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("ports.id", ondelete="CASCADE"), index=True
    )
    floating_ip_address: Mapped[str] = mapped_column(sa.String(64))
    fixed_port_id: Mapped[str | None] = mapped_column(
        sa.String(36), sa.ForeignKey("ports.id", ondelete="SET NULL"), nullable=True, index=True
    )
    fixed_ip_address: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    router_id: Mapped[str | None] = mapped_column(
        sa.String(36), sa.ForeignKey("routers.id"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default="DOWN")
