"""Object-store tables: containers and objects (accounts are rows too, for metadata).

Names are stored as bytes (UTF-8) so that every backend sorts listings the way
Swift does — by byte value — and so MariaDB's index-size limits are respected
(VARBINARY, not utf8mb4).  Every table carries ``project_id``: the account is
``reseller_prefix + project_id``.  The bytes themselves live in a driver under
``blob``, a fresh key per write, so a row never points at bytes that are not
complete.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from onestack.core.db import Base, JSONText

ID = sa.String(64)


class Name(TypeDecorator[str]):
    """A str in Python, UTF-8 bytes in the database (byte-order sorting everywhere)."""

    impl = sa.LargeBinary
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.VARBINARY(self.length))
        return dialect.type_descriptor(sa.LargeBinary(self.length))

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return (value if type(value) is bytes else bytes(value)).decode("utf-8")


class SwiftAccount(Base):
    __tablename__ = "swift_account"
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)
    meta: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    created_at: Mapped[float] = mapped_column(sa.Float)


class SwiftContainer(Base):
    __tablename__ = "swift_container"
    __table_args__ = (sa.UniqueConstraint("project_id", "name"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str] = mapped_column(Name(256))
    # user metadata (lower-case suffix -> value) and system settings (acl, quotas, versions)
    meta: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    sysmeta: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    object_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    bytes_used: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[float] = mapped_column(sa.Float)


class SwiftObject(Base):
    __tablename__ = "swift_object"
    __table_args__ = (sa.UniqueConstraint("container_id", "name"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ID, index=True)
    container_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("swift_container.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(Name(1024))
    blob: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.BigInteger)  # bytes of the blob
    etag: Mapped[str] = mapped_column(sa.String(64))  # md5 of the blob
    content_type: Mapped[str] = mapped_column(sa.String(256))
    timestamp: Mapped[float] = mapped_column(sa.Float)
    delete_at: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    # user metadata (lower-case suffix -> value)
    meta: Mapped[dict[str, str]] = mapped_column(JSONText, default=dict)
    # content-encoding, content-disposition, manifest (DLO), slo, listing overrides
    sysmeta: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
