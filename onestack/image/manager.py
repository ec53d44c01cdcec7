"""Image logic, no HTTP: images, tags, members, data and import.

Every method takes the caller's ``RequestContext`` first and checks, in
Glance's order: the image is *visible* to the caller (else ``NotFound``), then
the policy rule (else ``Forbidden``; a rule that fails for a caller who cannot
even ``get_image`` is a ``NotFound`` too).  Images come back as plain dicts, as
the API renders them (``views.image``).

Interface for other services (compute), stable:

``get_image(ctx, image_id) -> dict``
    The image as the API shows it (custom properties at the top level),
    visibility-checked; raises ``NotFound``.
``data_path(image_id) -> pathlib.Path``
    A local file holding exactly the bytes of an *active* image (for QEMU);
    no access check (call ``get_image`` first); never write to it.  Raises
    ``NotFound`` when the image is missing, not active or has no data.
``create_image(ctx, properties) -> dict``
    A new ``queued`` image owned by the caller's project; ``properties`` are
    what ``POST /v2/images`` accepts (core attributes and custom string
    properties).
``store_file(ctx, image_id, path) -> dict``
    Streams the local file ``path`` in as the image's data (the image must be
    ``queued``); the image comes back ``active`` with size, checksum (MD5) and
    ``os_hash_value`` (SHA-512).  Used for server snapshots.

Data is written the same way for uploads, staging, imports and ``store_file``:
into a private driver writer while hashing, then ``_finalize`` does, in one
transaction, a conditional status change (``saving`` -> ``active``), the
driver's atomic publish, and the commit.  A failure before that leaves the
bytes unpublished and puts the image back to ``queued`` (upstream v2's
``_restore``), so nothing half-written is ever visible.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.config import Config
from onestack.core.context import RequestContext
from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, Conflict, Forbidden, Gone, NotFound, PayloadTooLarge
from onestack.core.lanes import Lane, abort_all, close_all, put_all
from onestack.core.policy import Policy
from onestack.image import patch as jsonpatch
from onestack.image import policies, query, schemas, views, webdownload
from onestack.image.drivers import ImageStore, ImageWriter, load
from onestack.image.models import Image, ImageMember, ImageProperty, ImageTag
from onestack.image.patch import Change

_REQUEST_VALIDATOR = jsonschema.Draft7Validator(schemas.IMAGE_REQUEST)


def _schema_error(body: Any) -> None:
    err = jsonschema.exceptions.best_match(_REQUEST_VALIDATOR.iter_errors(body))
    if err is not None:
        where = ".".join(str(p) for p in err.absolute_path)
        raise BadRequest(f"Invalid input{' for ' + where if where else ''}: {err.message}")


@dataclass
class DataInfo:
    """What a download needs: where the bytes are and what they are."""

    image_id: str
    key: str
    size: int
    checksum: str | None
    status: str


@dataclass
class DataUpload:
    """One stream of bytes on its way into an image (upload, stage or import).

    ``write`` any number of times, then ``commit``; on any failure ``fail``
    (safe to call twice, and after ``commit``)."""

    mgr: ImageManager
    image_id: str
    busy: str  # the status while writing: saving, uploading or importing
    writer: ImageWriter
    stage: bool = False
    size: int = 0
    md5: Any = field(default_factory=hashlib.md5)
    sha: Any = None  # the multihash (``os_hash_algo``), made in __post_init__
    lanes: list[Lane] | None = None

    def __post_init__(self) -> None:
        if self.sha is None:
            self.sha = hashlib.new(self.mgr.conf.image.hashing_algorithm)
    done: bool = False

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.mgr.conf.image.max_image_size:
            raise PayloadTooLarge(
                f"Image exceeds the storage quota: the maximum image size is "
                f"{self.mgr.conf.image.max_image_size} bytes."
            )
        if self.lanes is None:  # the two hashes and the write side by side (core.lanes)
            self.lanes = [Lane(self.md5.update, "image-md5"), Lane(self.sha.update, "image-sha"),
                          Lane(self.writer.write, "image-write")]
        put_all(self.lanes, data)

    def commit(self) -> None:
        if self.lanes is not None:
            close_all(self.lanes)
        self.writer.finish()
        self.mgr._finalize(self)
        self.done = True

    def fail(self) -> None:
        if self.done:
            return
        self.done = True
        if self.lanes is not None:
            abort_all(self.lanes)
        self.writer.abort()
        self.mgr._restore(self.image_id, self.busy)


class ImageManager:
    def __init__(self, conf: Config, db: Database, store: ImageStore) -> None:
        self.conf = conf
        self.db = db
        self.store = store
        self.policy = Policy(policies.defaults(), conf.image.policy_file)
        self._jobs: set[threading.Thread] = set()
        self._jobs_lock = threading.Lock()

    @classmethod
    def from_config(cls, conf: Config, db: Database) -> ImageManager:
        root = Path(conf.image.data_path) if conf.image.data_path else conf.data_path / "images"
        return cls(conf, db, load(conf.image.driver, root))

    # ---- access -------------------------------------------------------------------
    @staticmethod
    def _visible(ctx: RequestContext, img: Image, member: ImageMember | None) -> bool:
        if ctx.is_admin:
            return True
        if img.visibility in ("public", "community"):
            return True
        if ctx.project_id is None or img.project_id is None:
            return False
        if img.project_id == ctx.project_id:
            return True
        return img.visibility == "shared" and member is not None

    @staticmethod
    def _target(ctx: RequestContext, img: Image, member: ImageMember | None) -> dict[str, Any]:
        t: dict[str, Any] = {"project_id": img.project_id, "visibility": img.visibility, "owner": img.project_id}
        if member is not None:
            t["member_id"] = member.member
        return t

    def _enforce(self, ctx: RequestContext, rule: str, img: Image, member: ImageMember | None) -> None:
        t = self._target(ctx, img, member)
        if self.policy.check(ctx, rule, extra=t):
            return
        if rule != "get_image" and not self.policy.check(ctx, "get_image", extra=t):
            raise NotFound(f"No image found with ID {img.id}")
        raise Forbidden(f"You are not authorized to complete {rule} action.")

    def _load(self, s: Session, ctx: RequestContext, image_id: str, rule: str = "get_image",
              lock: bool = False) -> tuple[Image, ImageMember | None]:
        stmt = sa.select(Image).where(Image.id == image_id)
        if lock:
            stmt = stmt.with_for_update()
        img = s.scalar(stmt)
        member = None
        if img is not None and ctx.project_id and img.project_id != ctx.project_id:
            member = s.get(ImageMember, (img.id, ctx.project_id))
        if img is None or not self._visible(ctx, img, member):
            raise NotFound(f"No image found with ID {image_id}")
        self._enforce(ctx, rule, img, member)
        return img, member

    # ---- rendering ------------------------------------------------------------------
    def _render(self, s: Session, imgs: list[Image]) -> list[dict[str, Any]]:
        ids = [i.id for i in imgs]
        props: dict[str, dict[str, str]] = defaultdict(dict)
        tags: dict[str, list[str]] = defaultdict(list)
        if ids:
            for p in s.scalars(sa.select(ImageProperty).where(ImageProperty.image_id.in_(ids))):
                props[p.image_id][p.name] = p.value
            for t in s.scalars(sa.select(ImageTag).where(ImageTag.image_id.in_(ids))):
                tags[t.image_id].append(t.value)
        return [views.image(i, props[i.id], tags[i.id]) for i in imgs]

    def _one(self, s: Session, img: Image) -> dict[str, Any]:
        return self._render(s, [img])[0]

    # ---- images ---------------------------------------------------------------------
    def _check_names(self, names: Iterable[str], *, creating: bool) -> None:
        for name in names:
            if name in schemas.READ_ONLY and not (creating and name == "id"):
                raise Forbidden(f"Attribute '{name}' is read-only.")
            if name in schemas.RESERVED or name.startswith(schemas.RESERVED_PREFIX):
                raise Forbidden(f"Attribute '{name}' is reserved.")

    def _check_quotas(self, props: dict[str, Any], tags: list[str]) -> None:
        if len(props) > self.conf.image.property_quota:
            raise PayloadTooLarge(
                f"Maximum number of properties exceeded: {len(props)} > {self.conf.image.property_quota}"
            )
        if len(tags) > self.conf.image.tag_quota:
            raise PayloadTooLarge(f"Maximum number of tags exceeded: {len(tags)} > {self.conf.image.tag_quota}")

    def create_image(self, ctx: RequestContext, properties: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(properties, dict):
            raise BadRequest("Image properties must be a JSON object.")
        body = dict(properties)
        self._check_names(body, creating=True)
        if "id" in body:
            if not isinstance(body["id"], str) or not _is_uuid(body["id"]):
                raise BadRequest("Invalid input for id: must be a UUID.")
        _schema_error({k: v for k, v in body.items() if k != "id"})
        owner = body.pop("owner", None) or ctx.project_id
        visibility = body.pop("visibility", "shared")
        target = {"project_id": owner, "owner": owner, "visibility": visibility}
        if not self.policy.check(ctx, "add_image", extra=target):
            raise Forbidden("You are not authorized to complete add_image action.")
        if visibility == "public" and not self.policy.check(ctx, "publicize_image", extra=target):
            raise Forbidden("You are not authorized to complete publicize_image action.")
        if visibility == "community" and not self.policy.check(ctx, "communitize_image", extra=target):
            raise Forbidden("You are not authorized to complete communitize_image action.")
        tags = list(dict.fromkeys(body.pop("tags", []) or []))
        core = {k: body.pop(k) for k in list(body) if k in schemas.CORE}
        self._check_quotas(body, tags)
        now = utcnow()
        img = Image(
            id=core.get("id") or str(uuid.uuid4()),
            project_id=owner,
            name=core.get("name"),
            status="queued",
            visibility=visibility,
            protected=bool(core.get("protected", False)),
            os_hidden=bool(core.get("os_hidden", False)),
            container_format=core.get("container_format"),
            disk_format=core.get("disk_format"),
            min_disk=core.get("min_disk", 0),
            min_ram=core.get("min_ram", 0),
            created_at=now,
            updated_at=now,
        )
        with self.db.session() as s:
            if s.get(Image, img.id) is not None:
                raise Conflict(f"An image with identifier {img.id} already exists")
            s.add(img)
            s.flush()
            s.add_all(ImageProperty(image_id=img.id, name=k, value=v) for k, v in body.items())
            s.add_all(ImageTag(image_id=img.id, value=t) for t in tags)
            s.flush()
            return self._one(s, img)

    def get_image(self, ctx: RequestContext, image_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id)
            return self._one(s, img)

    def list_images(self, ctx: RequestContext, q: query.ListQuery) -> tuple[list[dict[str, Any]], str | None]:
        """One page; the second value is the marker of the next page (or None)."""
        if not self.policy.check(ctx, "get_images", extra={"project_id": ctx.project_id}):
            raise Forbidden("You are not authorized to complete get_images action.")
        with self.db.session() as s:
            marker = None
            if q.marker is not None:
                marker = s.get(Image, q.marker)
                member = s.get(ImageMember, (q.marker, ctx.project_id)) if marker and ctx.project_id else None
                if marker is None or not self._visible(ctx, marker, member):
                    raise BadRequest(f"Marker {q.marker} could not be found.")
            if q.limit == 0:
                return [], None
            imgs = list(s.scalars(query.select_images(ctx, q, marker)))
            nxt = imgs[-1].id if imgs and len(imgs) == q.limit else None
            return self._render(s, imgs), nxt

    def update_image(self, ctx: RequestContext, image_id: str, changes: list[Change]) -> dict[str, Any]:
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id, "modify_image", lock=True)
            self._check_names((c.path for c in changes), creating=False)
            props = {p.name: p for p in s.scalars(sa.select(ImageProperty).where(ImageProperty.image_id == img.id))}
            tags = [t.value for t in s.scalars(sa.select(ImageTag).where(ImageTag.image_id == img.id))]
            state: dict[str, Any] = {k: p.value for k, p in props.items()}
            state.update({
                "name": img.name, "visibility": img.visibility, "protected": img.protected,
                "os_hidden": img.os_hidden, "container_format": img.container_format,
                "disk_format": img.disk_format, "min_ram": img.min_ram, "min_disk": img.min_disk,
                "tags": tags, "owner": img.project_id,
            })
            new = jsonpatch.apply(state, schemas.CORE_SETTABLE, changes)
            _schema_error(new)
            new_props = {k: v for k, v in new.items() if k not in schemas.CORE}
            new_tags = list(dict.fromkeys(new["tags"]))
            self._check_quotas(new_props, new_tags)
            t = self._target(ctx, img, None)
            if new["visibility"] != img.visibility:
                if new["visibility"] == "public" and not self.policy.check(ctx, "publicize_image", extra=t):
                    raise Forbidden("You are not authorized to complete publicize_image action.")
                if new["visibility"] == "community" and not self.policy.check(ctx, "communitize_image", extra=t):
                    raise Forbidden("You are not authorized to complete communitize_image action.")
            if new["owner"] != img.project_id and not ctx.is_admin:
                raise Forbidden("Owner can't be updated by non admin.")
            for attr in ("container_format", "disk_format"):
                if new[attr] != getattr(img, attr) and img.status != "queued":
                    raise Forbidden(f"Attribute {attr} can be only replaced for a queued image.")
            img.name = new["name"]
            img.visibility = new["visibility"]
            img.protected = new["protected"]
            img.os_hidden = new["os_hidden"]
            img.container_format = new["container_format"]
            img.disk_format = new["disk_format"]
            img.min_ram = new["min_ram"]
            img.min_disk = new["min_disk"]
            img.project_id = new["owner"]
            img.updated_at = utcnow()
            for k, p in props.items():
                if k not in new_props:
                    s.delete(p)
                elif p.value != new_props[k]:
                    p.value = new_props[k]
            s.add_all(ImageProperty(image_id=img.id, name=k, value=v) for k, v in new_props.items() if k not in props)
            if set(new_tags) != set(tags):
                s.execute(sa.delete(ImageTag).where(ImageTag.image_id == img.id))
                s.add_all(ImageTag(image_id=img.id, value=v) for v in new_tags)
            s.flush()
            return self._one(s, img)

    def delete_image(self, ctx: RequestContext, image_id: str) -> None:
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id, "delete_image", lock=True)
            if img.protected:
                raise Forbidden(f"Image {image_id} is protected and cannot be deleted.")
            keys = [k for k in (img.data_key, img.stage_key) if k]
            s.delete(img)
        for k in keys:
            self.store.delete(k)

    def deactivate(self, ctx: RequestContext, image_id: str) -> None:
        self._flip(ctx, image_id, "deactivate", "active", "deactivated")

    def reactivate(self, ctx: RequestContext, image_id: str) -> None:
        self._flip(ctx, image_id, "reactivate", "deactivated", "active")

    def _flip(self, ctx: RequestContext, image_id: str, rule: str, source: str, dest: str) -> None:
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id, rule, lock=True)
            if img.status == dest:
                return
            if img.status != source:
                raise Forbidden(f"Not allowed to {rule} image in status '{img.status}'")
            img.status = dest
            img.updated_at = utcnow()

    # ---- tags -----------------------------------------------------------------------
    def add_tag(self, ctx: RequestContext, image_id: str, tag: str) -> None:
        if len(tag) > 255 or "\x00" in tag:
            raise BadRequest("Invalid tag: tags are at most 255 characters.")
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id, "modify_image", lock=True)
            if s.get(ImageTag, (img.id, tag)) is not None:
                return
            n = s.scalar(sa.select(sa.func.count()).select_from(ImageTag).where(ImageTag.image_id == img.id)) or 0
            if n + 1 > self.conf.image.tag_quota:
                raise PayloadTooLarge(f"Maximum number of tags exceeded: {n + 1} > {self.conf.image.tag_quota}")
            s.add(ImageTag(image_id=img.id, value=tag))
            img.updated_at = utcnow()

    def delete_tag(self, ctx: RequestContext, image_id: str, tag: str) -> None:
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id, "modify_image", lock=True)
            row = s.get(ImageTag, (img.id, tag))
            if row is None:
                raise NotFound(f"Tag {tag} not found.")
            s.delete(row)
            img.updated_at = utcnow()

    # ---- members --------------------------------------------------------------------
    def _shared_only(self, img: Image) -> None:
        if img.visibility != "shared":
            raise Forbidden(f"Only shared images have members. Image {img.id} is {img.visibility}.")

    def add_member(self, ctx: RequestContext, image_id: str, member_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id, "add_member", lock=True)
            self._shared_only(img)
            if s.get(ImageMember, (img.id, member_id)) is not None:
                raise Conflict(f"Member {member_id} already exists for image {image_id}.")
            n = s.scalar(sa.select(sa.func.count()).select_from(ImageMember).where(ImageMember.image_id == img.id)) or 0
            if n + 1 > self.conf.image.member_quota:
                raise PayloadTooLarge(f"Maximum number of image members exceeded: {n + 1} > {self.conf.image.member_quota}")
            now = utcnow()
            m = ImageMember(image_id=img.id, member=member_id, status="pending", created_at=now, updated_at=now)
            s.add(m)
            s.flush()
            return views.member(m)

    def _members_seen(self, s: Session, ctx: RequestContext, img: Image) -> sa.Select[ImageMember]:
        stmt = sa.select(ImageMember).where(ImageMember.image_id == img.id)
        if not ctx.is_admin and img.project_id != ctx.project_id:
            stmt = stmt.where(ImageMember.member == ctx.project_id)
        return stmt.order_by(ImageMember.created_at, ImageMember.member)

    def list_members(self, ctx: RequestContext, image_id: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id, "get_members")
            return [views.member(m) for m in s.scalars(self._members_seen(s, ctx, img))]

    def get_member(self, ctx: RequestContext, image_id: str, member_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id, "get_member")
            m = s.scalar(self._members_seen(s, ctx, img).where(ImageMember.member == member_id))
            if m is None:
                raise NotFound(f"Member {member_id} not found for image {image_id}.")
            return views.member(m)

    def update_member(self, ctx: RequestContext, image_id: str, member_id: str, status: str) -> dict[str, Any]:
        if status not in schemas.MEMBER_STATUSES:
            raise BadRequest(f"Invalid status: {status}")
        with self.db.session() as s:
            img, member = self._load(s, ctx, image_id, "get_member")
            m = s.scalar(self._members_seen(s, ctx, img).where(ImageMember.member == member_id))
            if m is None:
                raise NotFound(f"Member {member_id} not found for image {image_id}.")
            self._enforce(ctx, "modify_member", img, member)
            if not ctx.is_admin and ctx.project_id != member_id:
                raise Forbidden("Only the shared member can change its status.")
            self._shared_only(img)
            m.status = status
            m.updated_at = utcnow()
            s.flush()
            return views.member(m)

    def delete_member(self, ctx: RequestContext, image_id: str, member_id: str) -> None:
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id, "delete_member")
            m = s.get(ImageMember, (img.id, member_id))
            if m is None:
                raise NotFound(f"Member {member_id} not found for image {image_id}.")
            s.delete(m)

    # ---- data -----------------------------------------------------------------------
    def _begin(self, image_id: str, source: str, busy: str, stage: bool = False) -> DataUpload:
        """Move the image from ``source`` to ``busy`` (409 otherwise) and open a writer."""
        with self.db.session() as s:
            res = s.execute(
                sa.update(Image).where(Image.id == image_id, Image.status == source)
                .values(status=busy, updated_at=utcnow())
            )
            if res.rowcount != 1:  # type: ignore[attr-defined]
                cur = s.get(Image, image_id)
                if cur is None:
                    raise NotFound(f"No image found with ID {image_id}")
                raise Conflict(f"Image status transition from {cur.status} to {busy} is not allowed")
        try:
            writer = self.store.writer()
        except Exception:
            self._restore(image_id, busy)
            raise
        return DataUpload(self, image_id, busy, writer, stage=stage)

    def begin_upload(self, ctx: RequestContext, image_id: str) -> DataUpload:
        """``PUT /file``: queued -> saving; ``commit`` makes it active."""
        with self.db.session() as s:
            self._load(s, ctx, image_id, "upload_image")
        return self._begin(image_id, "queued", "saving")

    def begin_stage(self, ctx: RequestContext, image_id: str) -> DataUpload:
        """``PUT /stage``: queued -> uploading; ``commit`` keeps the bytes staged."""
        if "glance-direct" not in self.conf.image.import_methods:
            raise NotFound("The glance-direct import method is not enabled.")
        with self.db.session() as s:
            self._load(s, ctx, image_id, "upload_image")
        return self._begin(image_id, "queued", "uploading", stage=True)

    def _finalize(self, up: DataUpload) -> None:
        key = f"{up.image_id}.stage" if up.stage else up.image_id
        values: dict[str, Any] = {"updated_at": utcnow()}
        if up.stage:
            values.update(stage_key=key)
        else:
            values.update(
                status="active", size=up.size, checksum=up.md5.hexdigest(), os_hash_algo=up.sha.name,
                os_hash_value=up.sha.hexdigest(), data_key=key,
            )
        published = False
        try:
            with self.db.session() as s:
                res = s.execute(
                    sa.update(Image).where(Image.id == up.image_id, Image.status == up.busy).values(**values)
                )
                if res.rowcount != 1:  # type: ignore[attr-defined]
                    if s.get(Image, up.image_id) is None:
                        raise Gone(f"Image {up.image_id} could not be found after upload. "
                                   "The image may have been deleted during the upload.")
                    raise Conflict(f"Image {up.image_id} changed status during the upload.")
                up.writer.publish(key)
                published = True
        except BaseException:
            if published:
                self.store.delete(key)
            raise

    def _restore(self, image_id: str, busy: str, failed_import: bool = False) -> None:
        """Upstream v2: a failed upload/stage/import puts the image back to queued."""
        with self.db.session() as s:
            img = s.scalar(sa.select(Image).where(Image.id == image_id, Image.status == busy))
            if img is None:
                return
            stale = img.stage_key
            img.status = "queued"
            img.stage_key = None
            img.updated_at = utcnow()
            if failed_import:
                prop = s.get(ImageProperty, (image_id, "os_glance_failed_import"))
                if prop is None:
                    s.add(ImageProperty(image_id=image_id, name="os_glance_failed_import", value=self.store.name))
        if stale:
            self.store.delete(stale)

    def open_data(self, ctx: RequestContext, image_id: str) -> DataInfo | None:
        """The image's bytes for a download; None when it has none (204)."""
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id, "download_image")
            if img.status == "deactivated" and not ctx.is_admin:
                raise Forbidden("The requested image has been deactivated. Image data download is forbidden.")
            if img.status not in ("active", "deactivated") or not img.data_key:
                return None
            return DataInfo(img.id, img.data_key, img.size or 0, img.checksum, img.status)

    def read_data(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        try:
            return self.store.read(key, start, length)
        except KeyError:
            raise NotFound("Image data could not be found.") from None

    # ---- interoperable import -----------------------------------------------------------
    def import_methods(self) -> list[str]:
        return list(self.conf.image.import_methods)

    def stores(self) -> list[dict[str, Any]]:
        return [{"id": self.store.name, "description": self.store.description, "default": True}]

    def import_image(self, ctx: RequestContext, image_id: str, body: dict[str, Any]) -> None:
        """``POST /import``: glance-direct (from staging) or web-download (from a URL),
        run in a background thread; the image is ``importing`` until it is active."""
        method = body["method"]
        name = method.get("name")
        if name not in self.conf.image.import_methods:
            raise BadRequest(f"Import method {name} is not valid for this site. "
                             f"Valid methods: {', '.join(self.conf.image.import_methods)}")
        for store in body.get("stores") or []:
            if store != self.store.name:
                raise BadRequest(f"Unknown store: {store}")
        with self.db.session() as s:
            img, _ = self._load(s, ctx, image_id, "modify_image")
        source: Callable[[], Iterator[bytes]]
        if name == "glance-direct":
            if img.status != "uploading" or not img.stage_key:
                raise Conflict("Image needs to be staged before 'glance-direct' method can be used")
            stage_key = img.stage_key
            up = self._begin(image_id, "uploading", "importing")

            def source() -> Iterator[bytes]:
                return self.store.read(stage_key)
        else:
            uri = method.get("uri")
            if not isinstance(uri, str) or not uri:
                raise BadRequest("URI for web-download must be given")
            webdownload.check_uri(uri, self.conf.image)
            if img.status != "queued":
                raise Conflict(f"Image status transition from {img.status} to importing is not allowed")
            up = self._begin(image_id, "queued", "importing")

            def source() -> Iterator[bytes]:
                return webdownload.fetch(uri, self.conf.image)

        t = threading.Thread(target=self._run_import, args=(up, source), name=f"image-import-{image_id}", daemon=True)
        with self._jobs_lock:
            self._jobs.add(t)
        t.start()

    def _run_import(self, up: DataUpload, source: Callable[[], Iterator[bytes]]) -> None:
        try:
            try:
                for chunk in source():
                    up.write(chunk)
                up.commit()
            except Exception:
                up.done = True
                up.writer.abort()
                self._restore(up.image_id, "importing", failed_import=True)
                return
            with self.db.session() as s:
                img = s.get(Image, up.image_id)
                stale = img.stage_key if img is not None else None
                if img is not None:
                    img.stage_key = None
                    failed = s.get(ImageProperty, (img.id, "os_glance_failed_import"))
                    if failed is not None:
                        s.delete(failed)
            if stale:
                self.store.delete(stale)
        finally:
            with self._jobs_lock:
                self._jobs.discard(threading.current_thread())

    def wait_for_imports(self, timeout: float = 30.0) -> None:
        """Block until every background import has ended (tests, shutdown)."""
        with self._jobs_lock:
            jobs = list(self._jobs)
        for t in jobs:
            t.join(timeout)

    def usage(self, ctx: RequestContext) -> dict[str, Any]:
        with self.db.session() as s:
            mine = Image.project_id == ctx.project_id
            total, count = s.execute(
                sa.select(sa.func.coalesce(sa.func.sum(Image.size), 0), sa.func.count()).where(mine)
            ).one()
            uploading = s.scalar(
                sa.select(sa.func.count()).where(mine, Image.status.in_(("saving", "uploading", "importing")))
            )
        return {
            "image_size_total": {"limit": -1, "usage": int(total or 0)},
            "image_stage_total": {"limit": -1, "usage": 0},
            "image_count_total": {"limit": -1, "usage": int(count or 0)},
            "image_count_uploading": {"limit": -1, "usage": int(uploading or 0)},
        }

    def recover(self, older_than: float = 6 * 3600) -> int:
        """At start: images left ``saving``/``uploading``/``importing`` by a process that
        died go back to ``queued`` (their unpublished bytes were never visible), and
        stale temporary files go.  Only rows untouched for ``older_than`` seconds, so
        another node's upload in flight is left alone."""
        cutoff = utcnow() - dt.timedelta(seconds=older_than)
        with self.db.session() as s:
            stuck = list(s.scalars(sa.select(Image).where(
                Image.status.in_(("saving", "uploading", "importing")), Image.updated_at < cutoff)))
            stale = [i.stage_key for i in stuck if i.stage_key]
            for img in stuck:
                img.status, img.stage_key, img.updated_at = "queued", None, utcnow()
        for key in stale:
            self.store.delete(key)
        self.store.sweep(older_than)
        return len(stuck)

    # ---- for other services -------------------------------------------------------------
    def data_path(self, image_id: str) -> Path:
        with self.db.session() as s:
            img = s.get(Image, image_id)
            if img is None or img.status != "active" or not img.data_key:
                raise NotFound(f"No active image with ID {image_id}")
            key = img.data_key
        try:
            return self.store.local_path(key)
        except KeyError:
            raise NotFound(f"Image {image_id} has no data") from None

    def store_file(self, ctx: RequestContext, image_id: str, path: Path) -> dict[str, Any]:
        up = self.begin_upload(ctx, image_id)
        try:
            with open(path, "rb") as f:
                while chunk := f.read(1024 * 1024):
                    up.write(chunk)
            up.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                up.fail()
            raise
        return self.get_image(ctx, image_id)


def _is_uuid(v: str) -> bool:
    try:
        uuid.UUID(v)
    except ValueError:
        return False
    return len(v) == 36
