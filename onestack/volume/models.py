"""Volume tables.  Every tenant resource carries ``project_id`` (and the creating
``user_id``); list filters, sorting and paging run in SQL.  Rows are deleted for
real (upstream soft-deletes; no API here needs deleted rows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, JSONText, UTCDateTime, utcnow

ID = sa.String(64)
UUID = sa.String(36)


class QosSpecs(Base):
    __tablename__ = "volume_qos_specs"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255), unique=True)
    consumer: Mapped[str] = mapped_column(sa.String(32), default="back-end")
    specs: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VolumeType(Base):
    __tablename__ = "volume_types"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    is_public: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    extra_specs: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    qos_specs_id: Mapped[str | None] = mapped_column(
        UUID, sa.ForeignKey("volume_qos_specs.id", ondelete="SET NULL"), nullable=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class VolumeTypeProject(Base):
    __tablename__ = "volume_type_projects"
    volume_type_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_types.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)


class Volume(Base):
    __tablename__ = "volumes"
    __table_args__ = (sa.Index("ix_volumes_project_created", "project_id", "created_at"),)
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    user_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str | None] = mapped_column(sa.String(255), nullable=True, index=True)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    size: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(32), index=True)
    attach_status: Mapped[str] = mapped_column(sa.String(32), default="detached")
    migration_status: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    availability_zone: Mapped[str] = mapped_column(sa.String(255))
    volume_type_id: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)
    host: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    bootable: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    multiattach: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    encrypted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    snapshot_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    source_volid: Mapped[str | None] = mapped_column(UUID, nullable=True)
    image_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    backup_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    # why the volume is in an error state (kept for admins and the log)
    status_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # user metadata, volume_image_metadata, admin metadata (readonly, attached_mode)
    meta: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    image_meta: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    admin_meta: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    launched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Snapshot(Base):
    __tablename__ = "volume_snapshots"
    __table_args__ = (sa.Index("ix_volume_snapshots_project_created", "project_id", "created_at"),)
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    user_id: Mapped[str] = mapped_column(ID)
    volume_id: Mapped[str] = mapped_column(UUID, sa.ForeignKey("volumes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    size: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(32))
    progress: Mapped[str] = mapped_column(sa.String(8), default="0%")
    status_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    meta: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Attachment(Base):
    __tablename__ = "volume_attachments"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    volume_id: Mapped[str] = mapped_column(UUID, sa.ForeignKey("volumes.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    instance_uuid: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)
    attached_host: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    mountpoint: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    attach_mode: Mapped[str] = mapped_column(sa.String(8), default="rw")
    # reserved, attaching, attached, detaching, error_attaching, error_detaching
    attach_status: Mapped[str] = mapped_column(sa.String(32))
    connector: Mapped[dict[str, Any] | None] = mapped_column(JSONText, nullable=True)
    connection_info: Mapped[dict[str, Any] | None] = mapped_column(JSONText, nullable=True)
    attach_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    detach_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Backup(Base):
    __tablename__ = "volume_backups"
    __table_args__ = (sa.Index("ix_volume_backups_project_created", "project_id", "created_at"),)
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    user_id: Mapped[str] = mapped_column(ID)
    # not a foreign key: a backup outlives its volume
    volume_id: Mapped[str] = mapped_column(UUID, index=True)
    snapshot_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    parent_id: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)
    name: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    size: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(32))
    fail_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    availability_zone: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    container: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    is_incremental: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    object_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    # chunk index: [[offset, sha256 | null(hole), object name | null], ...]
    chunks: Mapped[list[Any]] = mapped_column(JSONText, default=list)
    meta: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    # the volume's own metadata, image metadata and bootable flag, restored with the data
    volume_meta: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    data_timestamp: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Transfer(Base):
    __tablename__ = "volume_transfers"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    volume_id: Mapped[str] = mapped_column(UUID, sa.ForeignKey("volumes.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    name: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    salt: Mapped[str] = mapped_column(sa.String(255))
    crypt_hash: Mapped[str] = mapped_column(sa.String(255))
    no_snapshots: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Quota(Base):
    __tablename__ = "volume_quotas"
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)
    resource: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(sa.Integer)


class Service(Base):
    """os-services state an admin may change (disable with a reason)."""

    __tablename__ = "volume_services"
    binary: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Message(Base):
    """User messages (3.3): why an asynchronous operation failed, for the project
    that asked for it."""

    __tablename__ = "volume_messages"
    __table_args__ = (sa.Index("ix_volume_messages_project_created", "project_id", "created_at"),)
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ID)
    request_id: Mapped[str] = mapped_column(sa.String(255))
    resource_type: Mapped[str] = mapped_column(sa.String(255))
    resource_uuid: Mapped[str | None] = mapped_column(UUID, nullable=True)
    event_id: Mapped[str] = mapped_column(sa.String(255))
    message_level: Mapped[str] = mapped_column(sa.String(255))
    user_message: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
