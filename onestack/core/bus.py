"""The message bus between API-side managers and node-side workers.

One interface, two implementations chosen by URL:

* ``local://`` -- in-process: one queue and one consumer thread per topic.  A
  single ``onestack serve`` process is API and worker at once.
* ``db://`` -- a queue table (``bus_messages``) in onestack's own database: API
  processes and the one compute-node process of ``serve --workers N`` (or an
  ``onestack worker`` sharing the database) without a broker.  A per-topic
  stamp file next to the database wakes the consumer at once; without it (other
  hosts) the consumer polls.  Messages are claimed by deleting their row, so
  each is handled at most once (see docs/adr/0005-cross-process-compute-bus.md).
* ``rabbit://user:pass@host:5672/vhost`` -- RabbitMQ through kombu: API processes
  and ``worker`` processes on other hosts share topics (one durable queue per
  topic, messages acknowledged after the handler ran).

``cast`` (fire and forget) carries every state change: a worker reports back by
writing the database, as Nova's compute does through the conductor.  ``call``
(request/reply, with a timeout) exists for questions only the node can answer
(console output).  Messages are JSON-able dicts; handlers must be idempotent
enough to survive a redelivery.
"""

from __future__ import annotations

import abc
import json
import logging
import os
import queue
import re
import threading
import time
import uuid as uuidlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base

LOG = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]
"""``handler(method, payload)``; exceptions are logged, never re-raised to the sender."""

Responder = Callable[[str, dict[str, Any]], Any]
"""``responder(method, payload) -> JSON-able answer`` for ``call``; an exception
reaches the caller as ``RemoteError``."""


class RemoteError(Exception):
    """The responder of a ``call`` raised; ``kind`` is the exception's class name."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class BusMessage(Base):
    """One queued message of the ``db://`` bus (a reply is a message on ``reply.<id>``)."""

    __tablename__ = "bus_messages"
    __table_args__ = (sa.Index("ix_bus_messages_topic_id", "topic", "id"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    method: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    payload: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[float] = mapped_column(sa.Float, nullable=False)


class Bus(abc.ABC):
    @abc.abstractmethod
    def cast(self, topic: str, method: str, payload: dict[str, Any]) -> None:
        """Send ``method(payload)`` to whoever consumes ``topic``; returns at once."""

    @abc.abstractmethod
    def consume(self, topic: str, handler: Handler) -> None:
        """Start delivering ``topic``'s messages to ``handler`` (in a background
        thread, one message at a time per topic)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop consumers; messages already queued on ``local`` are dropped."""

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued message was handled (``local`` only; tests
        use it).  Returns False on timeout."""
        return True

    def serve(self, topic: str, responder: Responder) -> None:
        """Answer ``call``s on ``topic`` (in a background thread of its own)."""
        raise NotImplementedError

    def call(self, topic: str, method: str, payload: dict[str, Any], timeout: float = 30.0) -> Any:
        """Ask whoever serves ``topic``; its answer, ``RemoteError`` when it raised,
        ``TimeoutError`` when nobody answered in time."""
        raise NotImplementedError

    def pending(self, topic: str) -> list[tuple[str, dict[str, Any]]]:
        """Messages still queued on ``topic`` (durable buses that can look; else [])."""
        return []


def _run(handler: Handler, topic: str, method: str, payload: dict[str, Any]) -> None:
    try:
        handler(method, payload)
    except Exception:
        LOG.exception("bus handler for %s.%s failed", topic, method)


class LocalBus(Bus):
    """An in-process bus: a ``queue.Queue`` and a daemon thread per topic."""

    _STOP = ("", {})

    def __init__(self) -> None:
        self._queues: dict[str, queue.Queue[tuple[str, dict[str, Any]]]] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._responders: dict[str, Responder] = {}

    def _queue(self, topic: str) -> queue.Queue[tuple[str, dict[str, Any]]]:
        with self._lock:
            return self._queues.setdefault(topic, queue.Queue())

    def cast(self, topic: str, method: str, payload: dict[str, Any]) -> None:
        # a JSON round trip: the same contract as the rabbit bus (no shared objects)
        self._queue(topic).put((method, json.loads(json.dumps(payload))))

    def consume(self, topic: str, handler: Handler) -> None:
        q = self._queue(topic)

        def loop() -> None:
            while True:
                method, payload = q.get()
                try:
                    if method == "":
                        return
                    _run(handler, topic, method, payload)
                finally:
                    q.task_done()

        t = threading.Thread(target=loop, name=f"bus-{topic}", daemon=True)
        t.start()
        self._threads.append(t)

    def serve(self, topic: str, responder: Responder) -> None:
        self._responders[topic] = responder

    def call(self, topic: str, method: str, payload: dict[str, Any], timeout: float = 30.0) -> Any:
        responder = self._responders.get(topic)
        if responder is None:
            raise TimeoutError(f"nobody serves {topic}")
        return json.loads(json.dumps(responder(method, json.loads(json.dumps(payload)))))

    def drain(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        for q in list(self._queues.values()):
            while q.unfinished_tasks:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.005)
        return True

    def close(self) -> None:
        for q in list(self._queues.values()):
            q.put(self._STOP)
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()


class RabbitBus(Bus):
    """RabbitMQ via kombu: a direct exchange ``onestack``, one durable queue per topic."""

    EXCHANGE = "onestack"

    def __init__(self, url: str) -> None:
        import kombu

        self._kombu = kombu
        self.url = "amqp://" + url.split("://", 1)[1] if url.startswith("rabbit://") else url
        self._exchange = kombu.Exchange(self.EXCHANGE, type="direct", durable=True)
        self._conn = kombu.Connection(self.url, connect_timeout=5)
        self._conn.ensure_connection(max_retries=1)
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _queue(self, topic: str) -> Any:
        return self._kombu.Queue(topic, self._exchange, routing_key=topic, durable=True)

    def cast(self, topic: str, method: str, payload: dict[str, Any]) -> None:
        with self._send_lock:
            producer = self._conn.Producer(serializer="json")
            publish = self._conn.ensure(producer, producer.publish, max_retries=3)
            publish({"method": method, "payload": payload}, exchange=self._exchange,
                    routing_key=topic, declare=[self._queue(topic)], delivery_mode=2)

    def consume(self, topic: str, handler: Handler) -> None:
        def on_message(body: Any, message: Any, conn: Any) -> None:
            try:
                _run(handler, topic, body.get("method", ""), body.get("payload") or {})
            finally:
                message.ack()

        self._consume(topic, on_message)

    def serve(self, topic: str, responder: Responder) -> None:
        def on_message(body: Any, message: Any, conn: Any) -> None:
            try:
                reply = _answer(responder, body.get("method", ""), body.get("payload") or {})
                reply_to = message.properties.get("reply_to")
                if reply_to:
                    conn.Producer(serializer="json").publish(
                        reply, exchange="", routing_key=reply_to,
                        correlation_id=message.properties.get("correlation_id"))
            finally:
                message.ack()

        self._consume(topic, on_message)

    def call(self, topic: str, method: str, payload: dict[str, Any], timeout: float = 30.0) -> Any:
        cid = uuidlib.uuid4().hex
        got: list[dict[str, Any]] = []
        with self._kombu.Connection(self.url, connect_timeout=5) as conn:
            reply_q = self._kombu.Queue(f"reply.{cid}", exclusive=True, auto_delete=True, durable=False)

            def on_reply(body: Any, message: Any) -> None:
                message.ack()
                if message.properties.get("correlation_id") == cid:
                    got.append(body)

            with conn.Consumer([reply_q], callbacks=[on_reply]):
                conn.Producer(serializer="json").publish(
                    {"method": method, "payload": payload}, exchange=self._exchange, routing_key=topic,
                    declare=[self._queue(topic)], reply_to=reply_q.name, correlation_id=cid,
                    expiration=timeout)
                deadline = time.monotonic() + timeout
                while not got:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"no answer on {topic} within {timeout:.0f}s")
                    try:
                        conn.drain_events(timeout=min(left, 0.5))
                    except TimeoutError:
                        continue
        return _unwrap(got[0])

    def _consume(self, topic: str, on_message: Callable[[Any, Any, Any], None]) -> None:
        ready = threading.Event()

        def loop() -> None:
            with self._kombu.Connection(self.url, connect_timeout=5) as conn:
                def cb(body: Any, message: Any) -> None:
                    on_message(body, message, conn)

                with conn.Consumer([self._queue(topic)], callbacks=[cb], prefetch_count=1):
                    ready.set()
                    while not self._stop.is_set():
                        try:
                            conn.drain_events(timeout=0.2)
                        except TimeoutError:
                            continue
                        except OSError:
                            if self._stop.is_set():
                                return
                            raise

        t = threading.Thread(target=loop, name=f"rabbit-{topic}", daemon=True)
        t.start()
        self._threads.append(t)
        ready.wait(10)

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()
        self._conn.release()


def _answer(responder: Responder, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"ok": responder(method, payload)}
    except Exception as e:
        LOG.info("bus call %s failed: %s", method, e)
        return {"error": str(e) or type(e).__name__, "kind": type(e).__name__}


def _unwrap(reply: dict[str, Any]) -> Any:
    if "error" in reply:
        raise RemoteError(str(reply.get("kind") or "Exception"), str(reply["error"]))
    return reply.get("ok")


class DbBus(Bus):
    """A queue table in the shared database, plus a stamp file per topic (appended
    one byte per message) that tells a consumer on the same host to look now.

    Delivery is at most once: a consumer claims a message by deleting its row and
    then runs the handler; a process killed in between loses that message (the
    worker's start-up reconciliation settles the instance).  Messages cast while
    no consumer runs wait in the table."""

    POLL = 0.25  # seconds between queries when no stamp changed (other hosts)
    TICK = 0.005  # seconds between stamp checks
    BATCH = 100
    REPLY_TTL = 300.0

    def __init__(self, db: Any, wake_dir: Path | None = None) -> None:
        self.db = db
        self.wake_dir = Path(wake_dir) if wake_dir else None
        if self.wake_dir is not None:
            self.wake_dir.mkdir(parents=True, exist_ok=True)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._topics: list[str] = []
        self._busy = 0
        self._busy_lock = threading.Lock()

    # ---- wake-ups -----------------------------------------------------------------
    def _stamp(self, topic: str) -> Path | None:
        if self.wake_dir is None:
            return None
        return self.wake_dir / (re.sub(r"[^A-Za-z0-9_.-]", "_", topic) + ".stamp")

    def _wake(self, topic: str) -> None:
        stamp = self._stamp(topic)
        if stamp is None:
            return
        try:
            fd = os.open(stamp, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, b".")
            finally:
                os.close(fd)
        except OSError:  # the consumer still polls
            LOG.debug("cannot touch %s", stamp, exc_info=True)

    @staticmethod
    def _size(stamp: Path | None) -> int:
        if stamp is None:
            return -1
        try:
            return os.stat(stamp).st_size
        except OSError:
            return -1

    # ---- sending ------------------------------------------------------------------
    def _insert(self, topic: str, method: str, payload: dict[str, Any]) -> None:
        with self.db.session() as s:
            s.add(BusMessage(topic=topic, method=method, payload=json.dumps(payload), created_at=time.time()))

    def cast(self, topic: str, method: str, payload: dict[str, Any]) -> None:
        self._insert(topic, method, payload)
        self._wake(topic)

    def call(self, topic: str, method: str, payload: dict[str, Any], timeout: float = 30.0) -> Any:
        reply_topic = f"reply.{uuidlib.uuid4().hex}"
        self.cast(topic, method, {"reply_to": reply_topic, "payload": payload})
        deadline = time.monotonic() + timeout
        delay = 0.002
        while time.monotonic() < deadline:
            got = self._claim_one(reply_topic)
            if got is not None:
                return _unwrap(got[1])
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)
        raise TimeoutError(f"no answer on {topic} within {timeout:.0f}s")

    # ---- receiving ----------------------------------------------------------------
    def _claim_one(self, topic: str) -> tuple[str, dict[str, Any]] | None:
        with self.db.session() as s:
            row = s.execute(sa.select(BusMessage.id, BusMessage.method, BusMessage.payload)
                            .where(BusMessage.topic == topic).order_by(BusMessage.id).limit(1)).first()
            if row is None:
                return None
            if s.execute(sa.delete(BusMessage).where(BusMessage.id == row.id)).rowcount != 1:
                return None
        return row.method, json.loads(row.payload)

    def _batch(self, topic: str) -> list[tuple[int, str, str]]:
        with self.db.session() as s:
            return [(r.id, r.method, r.payload) for r in s.execute(
                sa.select(BusMessage.id, BusMessage.method, BusMessage.payload)
                .where(BusMessage.topic == topic).order_by(BusMessage.id).limit(self.BATCH))]

    def _claim(self, msg_id: int) -> bool:
        with self.db.session() as s:
            return bool(s.execute(sa.delete(BusMessage).where(BusMessage.id == msg_id)).rowcount == 1)

    def pending(self, topic: str) -> list[tuple[str, dict[str, Any]]]:
        with self.db.session() as s:
            rows = s.execute(sa.select(BusMessage.method, BusMessage.payload)
                             .where(BusMessage.topic == topic).order_by(BusMessage.id))
            return [(r.method, json.loads(r.payload)) for r in rows]

    def _sweep_replies(self) -> None:
        """Answers nobody collected (the caller timed out) go after REPLY_TTL."""
        with self.db.session() as s:
            s.execute(sa.delete(BusMessage).where(BusMessage.topic.like("reply.%"),
                                                  BusMessage.created_at < time.time() - self.REPLY_TTL))

    def _loop(self, topic: str, deliver: Callable[[str, dict[str, Any]], None]) -> None:
        stamp = self._stamp(topic)
        seen = -2
        next_query = 0.0
        next_sweep = time.monotonic() + 60
        while not self._stop.is_set():
            size = self._size(stamp)
            now = time.monotonic()
            if size == seen and now < next_query:
                self._stop.wait(self.TICK)
                continue
            if size > 4096 and stamp is not None:  # keep the stamp small; we look right after
                with open(stamp, "r+b") as f:
                    f.truncate(0)
                size = self._size(stamp)
            seen, next_query = size, now + self.POLL
            try:
                while not self._stop.is_set():
                    batch = self._batch(topic)
                    for msg_id, method, payload in batch:
                        if self._stop.is_set() or not self._claim(msg_id):
                            continue
                        with self._busy_lock:
                            self._busy += 1
                        try:
                            deliver(method, json.loads(payload))
                        finally:
                            with self._busy_lock:
                                self._busy -= 1
                    if len(batch) < self.BATCH:
                        break
                if now > next_sweep:
                    next_sweep = now + 60
                    self._sweep_replies()
            except Exception:  # the database may be briefly unavailable; try again
                LOG.exception("db bus: reading %s failed", topic)
                self._stop.wait(1.0)

    def _start(self, topic: str, deliver: Callable[[str, dict[str, Any]], None]) -> None:
        self._topics.append(topic)
        t = threading.Thread(target=self._loop, args=(topic, deliver), name=f"dbbus-{topic}", daemon=True)
        t.start()
        self._threads.append(t)

    def consume(self, topic: str, handler: Handler) -> None:
        self._start(topic, lambda method, payload: _run(handler, topic, method, payload))

    def serve(self, topic: str, responder: Responder) -> None:
        def deliver(method: str, message: dict[str, Any]) -> None:
            reply = _answer(responder, method, message.get("payload") or {})
            if message.get("reply_to"):
                self._insert(str(message["reply_to"]), "reply", reply)

        self._start(topic, deliver)

    def drain(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.db.session() as s:
                queued = s.scalar(sa.select(sa.func.count()).select_from(BusMessage)
                                  .where(BusMessage.topic.in_(self._topics))) or 0
            if not queued and not self._busy:
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()


def from_url(url: str, db: Any = None, wake_dir: Path | None = None) -> Bus:
    """``db``/``wake_dir``: the database and stamp directory the ``db://`` bus uses."""
    if url in ("local", "local://") or url.startswith("local:"):
        return LocalBus()
    if url.startswith(("rabbit://", "amqp://")):
        return RabbitBus(url)
    if url in ("db", "db://"):
        if db is None:
            raise ValueError("the db:// bus needs the database")
        return DbBus(db, wake_dir)
    raise ValueError(f"unknown bus URL {url!r}: use local://, db:// or rabbit://user:pass@host:5672/")
