"""Object-store logic, no HTTP: accounts, containers, objects, listings.

Rows describe, blobs hold bytes.  A write streams into a private driver writer,
then ``commit_object`` *publishes* the blob (atomic rename) under a fresh key and,
in one database transaction, checks the container and quotas and inserts/updates
the row.  If the transaction fails the fresh blob is deleted; an old blob is
deleted only after the commit that stopped pointing at it.  So a crash can leave
an unreferenced blob (or a writer's temp file) behind, never a listing entry
without bytes; ``BlobStore.recover`` removes those at the next start.

Writers of one container take turns (``common.locked_container``) and change its
counters in SQL (``common.count``), so concurrent uploads, overwrites and deletes
keep ``object_count``/``bytes_used`` equal to the listing.

``ObjectStoreManager`` is a facade over one manager per resource — ``accounts``,
``containers``, ``objects`` — and the ``expirer``; the API calls their methods on
it (``call.mgr.get_object``), bound once at construction, so a request pays no
extra call.  Shared parts: ``common`` (limits, results, the hot paths' prepared
statements ``_Q``, the container row helpers), ``listing``, ``quotas``,
``versions`` (versioned containers), ``expiry``.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from onestack.core.config import Config
from onestack.core.db import Database
from onestack.object_store.drivers import BlobStore, load
from onestack.object_store.manager.accounts import Accounts
from onestack.object_store.manager.common import (
    MAX_CONTAINER_NAME,
    MAX_META_COUNT,
    MAX_META_NAME,
    MAX_META_OVERALL,
    MAX_META_VALUE,
    MAX_OBJECT_NAME,
    AccountInfo,
    ContainerInfo,
    ListedObject,
    ListParams,
    NewObject,
    ObjectInfo,
    Subdir,
    apply_updates,
    check_container_name,
    check_meta,
    writers_lock,
)
from onestack.object_store.manager.containers import Containers
from onestack.object_store.manager.expiry import Expirer
from onestack.object_store.manager.objects import Objects
from onestack.object_store.manager.quotas import QUOTA_KEY, QUOTA_KINDS
from onestack.object_store.models import SwiftContainer, SwiftObject

__all__ = [
    "MAX_CONTAINER_NAME", "MAX_META_COUNT", "MAX_META_NAME", "MAX_META_OVERALL", "MAX_META_VALUE",
    "MAX_OBJECT_NAME", "QUOTA_KEY", "QUOTA_KINDS", "AccountInfo", "ContainerInfo", "ListParams", "ListedObject",
    "NewObject", "ObjectInfo", "ObjectStoreManager", "Subdir", "apply_updates",
    "check_container_name", "check_meta",
]


class ObjectStoreManager:
    def __init__(self, conf: Config, db: Database, store: BlobStore) -> None:
        self.conf = conf
        self.db = db
        self.store = store
        part = (conf, db, store, writers_lock(db))
        self.accounts = Accounts(*part)
        self.containers = Containers(*part)
        self.objects = Objects(*part)
        self.expirer = Expirer(*part)
        # what the API calls, by resource
        a, c, o = self.accounts, self.containers, self.objects
        self.account_info = a.account_info
        self.update_account = a.update_account
        self.list_containers = a.list_containers
        self.get_container = c.get_container
        self.find_container = c.find_container
        self.put_container = c.put_container
        self.post_container = c.post_container
        self.delete_container = c.delete_container
        self.list_objects = c.list_objects
        self.get_object = o.get_object
        self.find_object = o.find_object
        self.read = o.read
        self.read_all = o.read_all
        self.dlo_segments = o.dlo_segments
        self.check_quota = o.check_quota
        self.check_put = o.check_put
        self.put_object_bytes = o.put_object_bytes
        self.commit_object = o.commit_object
        self.post_object = o.post_object
        self.delete_object = o.delete_object
        self.expire_due = self.expirer.expire_due

    @classmethod
    def from_config(cls, conf: Config, db: Database) -> ObjectStoreManager:
        osc = conf.object_store
        path = Path(osc.data_path) if osc.data_path else conf.data_path / "object-store"
        mgr = cls(conf, db, load(osc.driver, path))
        mgr.store.recover(mgr.referenced_blobs)
        return mgr

    def referenced_blobs(self) -> set[str]:
        """Every blob key a row points at — what ``recover`` must keep.

        Raises ``LookupError`` (so nothing is removed) when the database has no
        object-store tables yet or has no container at all: a database that never
        held these blobs is no evidence that they are unreferenced.
        """
        try:
            with self.db.session() as s:
                if s.scalar(sa.select(SwiftContainer.id).limit(1)) is None:
                    raise LookupError("no containers")
                return set(s.scalars(sa.select(SwiftObject.blob)))
        except sa.exc.DBAPIError as e:
            raise LookupError(str(e)) from e

    def start(self) -> None:
        """Run the object expirer in a thread every ``expirer_interval`` seconds."""
        self.expirer.start()

    def stop(self) -> None:
        self.expirer.stop()
