"""Image tables.

``image.project_id`` is the owner (Glance calls it ``owner``); every tenant
resource carries it.  Custom properties, tags and members are child rows, so
list filters on them are ``EXISTS`` subqueries.  The bytes live in a driver
under ``image.data_key`` (set only when the data is complete); staged bytes for
interoperable import under ``image.stage_key``.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, UTCDateTime, utcnow

ID = sa.String(64)


class Image(Base):
    __tablename__ = "image"
    __table_args__ = (
        sa.Index("ix_image_visibility_project", "visibility", "project_id"),
        sa.Index("ix_image_created_at_id", "created_at", "id"),
    )
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(ID, index=True)
    name: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    status: Mapped[str] = mapped_column(sa.String(30), default="queued", index=True)
    visibility: Mapped[str] = mapped_column(sa.String(20), default="shared")
    protected: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    os_hidden: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    container_format: Mapped[str | None] = mapped_column(sa.String(32))
    disk_format: Mapped[str | None] = mapped_column(sa.String(32))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    virtual_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    checksum: Mapped[str | None] = mapped_column(sa.String(32))
    os_hash_algo: Mapped[str | None] = mapped_column(sa.String(64))
    os_hash_value: Mapped[str | None] = mapped_column(sa.String(128))
    min_disk: Mapped[int] = mapped_column(sa.Integer, default=0)
    min_ram: Mapped[int] = mapped_column(sa.Integer, default=0)
    data_key: Mapped[str | None] = mapped_column(sa.String(128))
    stage_key: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImageProperty(Base):
    __tablename__ = "image_property"
    image_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("image.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)


class ImageTag(Base):
    __tablename__ = "image_tag"
    image_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("image.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


class ImageMember(Base):
    __tablename__ = "image_member"
    image_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("image.id", ondelete="CASCADE"), primary_key=True
    )
    member: Mapped[str] = mapped_column(ID, primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


sa.Index("ix_image_member_member", ImageMember.member, ImageMember.status)
