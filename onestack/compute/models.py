"""Compute tables.  Every tenant resource carries ``project_id`` (and the
creating ``user_id``); list filters, sorting and paging run in SQL.

Instances are soft-deleted (``deleted`` + ``deleted_at``), as upstream, so that
``changes-since``, ``deleted=true`` (admins), instance actions of deleted
servers (2.21) and os-simple-tenant-usage keep working.  The flavor an instance
runs with is copied into the row (``flavor``), so deleting a flavor never
changes a server; ``vcpus``/``memory_mb``/``root_gb`` repeat it as plain columns
for the scheduler's and quota's SQL sums.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, JSONText, UTCDateTime, utcnow

ID = sa.String(64)


class Flavor(Base):
    __tablename__ = "compute_flavors"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    flavorid: Mapped[str] = mapped_column(sa.String(255), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255), unique=True)
    memory_mb: Mapped[int] = mapped_column(sa.Integer)
    vcpus: Mapped[int] = mapped_column(sa.Integer)
    root_gb: Mapped[int] = mapped_column(sa.Integer)
    ephemeral_gb: Mapped[int] = mapped_column(sa.Integer, default=0)
    swap: Mapped[int] = mapped_column(sa.Integer, default=0)
    rxtx_factor: Mapped[float] = mapped_column(sa.Float, default=1.0)
    is_public: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    extra_specs: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlavorProject(Base):
    __tablename__ = "compute_flavor_projects"
    flavor_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("compute_flavors.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)


class KeyPair(Base):
    __tablename__ = "compute_keypairs"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ID, index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    type: Mapped[str] = mapped_column(sa.String(16), default="ssh")
    public_key: Mapped[str] = mapped_column(sa.Text)
    fingerprint: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Instance(Base):
    __tablename__ = "compute_instances"
    __table_args__ = (sa.Index("ix_compute_instances_project_created", "project_id", "created_at"),)
    uuid: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    user_id: Mapped[str] = mapped_column(ID)
    display_name: Mapped[str] = mapped_column(sa.String(255))
    display_description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    hostname: Mapped[str] = mapped_column(sa.String(255))
    vm_state: Mapped[str] = mapped_column(sa.String(32))
    task_state: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    power_state: Mapped[int] = mapped_column(sa.Integer, default=0)
    host: Mapped[str | None] = mapped_column(sa.String(255), nullable=True, index=True)
    node: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    availability_zone: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    pinned_availability_zone: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    image_ref: Mapped[str] = mapped_column(sa.String(255), default="")
    kernel_id: Mapped[str] = mapped_column(sa.String(255), default="")
    ramdisk_id: Mapped[str] = mapped_column(sa.String(255), default="")
    flavor: Mapped[dict[str, Any]] = mapped_column(JSONText)
    old_flavor: Mapped[dict[str, Any] | None] = mapped_column(JSONText, nullable=True)
    new_flavor: Mapped[dict[str, Any] | None] = mapped_column(JSONText, nullable=True)
    flavor_id: Mapped[str] = mapped_column(sa.String(255))
    vcpus: Mapped[int] = mapped_column(sa.Integer)
    memory_mb: Mapped[int] = mapped_column(sa.Integer)
    root_gb: Mapped[int] = mapped_column(sa.Integer)
    key_name: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    key_data: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    key_type: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    user_data: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSONText, default=dict)
    config_drive: Mapped[str] = mapped_column(sa.String(8), default="")
    networks: Mapped[Any] = mapped_column(JSONText, nullable=True)
    access_ip_v4: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    access_ip_v6: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    locked: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    locked_by: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    locked_reason: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    launch_index: Mapped[int] = mapped_column(sa.Integer, default=0)
    reservation_id: Mapped[str] = mapped_column(sa.String(255), default="")
    root_device_name: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    disk_config: Mapped[str] = mapped_column(sa.String(16), default="MANUAL")
    progress: Mapped[int] = mapped_column(sa.Integer, default=0)
    fault: Mapped[dict[str, Any] | None] = mapped_column(JSONText, nullable=True)
    launched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    terminated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted: Mapped[bool] = mapped_column(sa.Boolean, default=False, index=True)


class InstanceTag(Base):
    __tablename__ = "compute_instance_tags"
    instance_uuid: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("compute_instances.uuid", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(80), primary_key=True, index=True)


class InstanceAction(Base):
    __tablename__ = "compute_instance_actions"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    instance_uuid: Mapped[str] = mapped_column(sa.String(36), index=True)
    project_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(ID)
    request_id: Mapped[str] = mapped_column(sa.String(255))
    action: Mapped[str] = mapped_column(sa.String(255))
    message: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    start_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finish_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class InstanceActionEvent(Base):
    __tablename__ = "compute_instance_action_events"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("compute_instance_actions.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(sa.String(255))
    start_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finish_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    traceback: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    host: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    details: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class ServerGroup(Base):
    __tablename__ = "compute_server_groups"
    uuid: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    user_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(sa.String(255))
    policy: Mapped[str] = mapped_column(sa.String(32))
    rules: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServerGroupMember(Base):
    __tablename__ = "compute_server_group_members"
    group_uuid: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("compute_server_groups.uuid", ondelete="CASCADE"), primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(sa.String(36), primary_key=True, index=True)


class Quota(Base):
    """A project's (``user_id`` = "") or a user's override of a default quota."""

    __tablename__ = "compute_quotas"
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, primary_key=True, default="")
    resource: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(sa.Integer)


class ComputeNode(Base):
    """A host a worker runs on (one node per host): its inventory and its
    nova-compute service record."""

    __tablename__ = "compute_nodes"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    service_uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    host: Mapped[str] = mapped_column(sa.String(255), unique=True)
    hypervisor_type: Mapped[str] = mapped_column(sa.String(64))
    hypervisor_version: Mapped[int] = mapped_column(sa.Integer, default=1)
    host_ip: Mapped[str] = mapped_column(sa.String(64), default="127.0.0.1")
    vcpus: Mapped[int] = mapped_column(sa.Integer)
    memory_mb: Mapped[int] = mapped_column(sa.Integer)
    local_gb: Mapped[int] = mapped_column(sa.Integer)
    cpu_info: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    availability_zone: Mapped[str] = mapped_column(sa.String(255), default="nova")
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    forced_down: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SecurityGroup(Base):
    """The nova security-group proxy API's groups (``/os-security-groups``), kept by
    compute per project until a network service owns them.  Ids are UUIDs, as with
    Neutron behind nova; every project has a ``default`` group, made on first use."""

    __tablename__ = "compute_security_groups"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SecurityGroupRule(Base):
    """An ingress rule: from ``cidr`` or from members of ``group_id``."""

    __tablename__ = "compute_security_group_rules"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    parent_group_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("compute_security_groups.id", ondelete="CASCADE"), index=True)
    ethertype: Mapped[str] = mapped_column(sa.String(8), default="IPv4")
    ip_protocol: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    from_port: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    to_port: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    cidr: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    group_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class InstanceSecurityGroup(Base):
    __tablename__ = "compute_instance_security_groups"
    instance_uuid: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("compute_instances.uuid", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("compute_security_groups.id", ondelete="CASCADE"), primary_key=True,
        index=True)


class BlockDeviceMapping(Base):
    """A volume a server has (nova's block_device_mapping, volumes only): attached
    with os-volume_attachments or given at boot (``block_device_mapping_v2``).
    ``volume_id`` is None until the worker has made the volume of a boot-time
    image/blank/snapshot mapping.  The row goes when the volume is detached."""

    __tablename__ = "compute_block_device_mappings"
    __table_args__ = (sa.UniqueConstraint("instance_uuid", "volume_id"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    instance_uuid: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("compute_instances.uuid", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    source_type: Mapped[str] = mapped_column(sa.String(16))       # volume, image, snapshot, blank
    destination_type: Mapped[str] = mapped_column(sa.String(16))  # volume
    volume_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, index=True)
    image_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    snapshot_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    attachment_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    volume_size: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    boot_index: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    device_name: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    tag: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    delete_on_termination: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # attaching -> attached -> detaching (the worker moves it)
    status: Mapped[str] = mapped_column(sa.String(16), default="attaching")
    connection_info: Mapped[dict[str, Any] | None] = mapped_column(JSONText, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
