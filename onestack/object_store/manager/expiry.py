"""Objects past their ``X-Delete-At``: reads already treat them as gone; ``reap``
deletes them from one container, and the expirer thread gives back their space."""

from __future__ import annotations

import logging
import threading
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.object_store.manager.common import Part, count, locked_container
from onestack.object_store.models import SwiftContainer, SwiftObject

LOG = logging.getLogger(__name__)


def reap(s: Session, c: SwiftContainer, locked: bool = False) -> int:
    """Delete expired objects of one container (X-Delete-At in the past); how many.

    ``locked``: the caller holds the container's row (``locked_container``)."""
    now = int(time.time())
    q = sa.select(SwiftObject).where(
        SwiftObject.container_id == c.id, SwiftObject.delete_at.is_not(None),
        SwiftObject.delete_at <= now)
    gone = list(s.scalars(q))
    if gone and not locked:  # look again, in turn with the container's writers
        locked_container(s, c.project_id, c.name)
        gone = list(s.scalars(q.with_for_update().execution_options(populate_existing=True)))
    blobs = []
    for o in gone:
        count(s, c, -1, -o.size)
        blobs.append(o.blob)
        s.delete(o)
    if gone:
        s.flush()
        s.info.setdefault("after_commit_delete", []).extend(blobs)
    return len(gone)


class Expirer(Part):
    _expirer: tuple[threading.Event, threading.Thread] | None = None  # while running

    def expire_due(self) -> int:
        """The object expirer's pass: delete every object whose ``X-Delete-At`` has
        passed, with its bytes, container by container.  Returns how many went.

        Reads already treat such objects as gone; this gives back their space."""
        now = int(time.time())
        with self.session() as s:
            due = list(s.scalars(sa.select(SwiftObject.container_id).where(
                SwiftObject.delete_at.is_not(None), SwiftObject.delete_at <= now).distinct()))
        removed = 0
        for cid in due:
            with self.session(write=True) as s:
                c = s.get(SwiftContainer, cid)
                if c is not None:
                    removed += reap(s, c)
        return removed

    def start(self) -> None:
        """Run the object expirer in a thread every ``expirer_interval`` seconds."""
        interval = self.conf.object_store.expirer_interval
        if interval <= 0 or self._expirer is not None:
            return
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    n = self.expire_due()
                    if n:
                        LOG.info("object expirer: removed %d expired objects", n)
                except Exception:  # the next pass tries again
                    LOG.exception("object expirer pass failed")

        t = threading.Thread(target=loop, name="object-expirer", daemon=True)
        self._expirer = (stop, t)
        t.start()

    def stop(self) -> None:
        if self._expirer is not None:
            stop, t = self._expirer
            stop.set()
            t.join(timeout=10)
            self._expirer = None
