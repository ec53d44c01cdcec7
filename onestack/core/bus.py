"""The message bus between API-side managers and node-side workers.

One interface, two implementations chosen by URL:

* ``local://`` -- in-process: one queue and one consumer thread per topic.  A
  single ``onestack serve`` process is API and worker at once.
* ``rabbit://user:pass@host:5672/vhost`` -- RabbitMQ through kombu: API processes
  and ``worker`` processes on other hosts share topics (one durable queue per
  topic, messages acknowledged after the handler ran).

Only ``cast`` (fire and forget) exists: a worker reports back by writing the
database, as Nova's compute does through the conductor.  Messages are JSON-able
dicts; handlers must be idempotent enough to survive a redelivery.
"""

from __future__ import annotations

import abc
import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

LOG = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]
"""``handler(method, payload)``; exceptions are logged, never re-raised to the sender."""


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

    def drain(self, timeout: float = 10.0) -> bool:
        import time

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
        ready = threading.Event()

        def on_message(body: Any, message: Any) -> None:
            try:
                _run(handler, topic, body.get("method", ""), body.get("payload") or {})
            finally:
                message.ack()

        def loop() -> None:
            with self._kombu.Connection(self.url, connect_timeout=5) as conn:
                with conn.Consumer([self._queue(topic)], callbacks=[on_message], prefetch_count=1):
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


def from_url(url: str) -> Bus:
    if url in ("local", "local://") or url.startswith("local:"):
        return LocalBus()
    if url.startswith(("rabbit://", "amqp://")):
        return RabbitBus(url)
    raise ValueError(f"unknown bus URL {url!r}: use local:// or rabbit://user:pass@host:5672/")
