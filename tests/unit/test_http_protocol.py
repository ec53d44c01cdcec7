"""The HTTP protocol reads a request body ahead of the application up to its window,
and no further: big uploads keep the socket busy, memory stays bounded."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from onestack.core import http_protocol

WINDOW = 1024 * 1024
BODY = 16 * 1024 * 1024


class _App:
    """Waits ``delay`` seconds before its first ``receive()``, then reads the body and
    answers with the sizes of the pieces it got."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.pieces: list[int] = []

    async def __call__(self, scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        await asyncio.sleep(self.delay)
        self.pieces = []
        more = True
        while more:
            m = await receive()
            self.pieces.append(len(m.get("body", b"")))
            more = m.get("more_body", False)
        body = str(sum(self.pieces)).encode()
        await send({"type": "http.response.start", "status": 201,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def server() -> Iterator[tuple[int, _App]]:
    app = _App(delay=0.5)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    old = http_protocol.BodyWindowProtocol.window
    http_protocol.set_window(WINDOW)
    srv = uvicorn.Server(uvicorn.Config(app, http=http_protocol.BodyWindowProtocol, log_level="warning",
                                        lifespan="off"))
    t = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    t.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield port, app
    finally:
        srv.should_exit = True
        t.join(10)
        sock.close()
        http_protocol.set_window(old)


def _put(port: int, size: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as c:
        c.sendall(b"PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % size)
        block = b"x" * (1 << 20)
        left = size
        while left:
            n = min(left, len(block))
            c.sendall(block[:n])
            left -= n
        c.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := c.recv(65536):
            out += chunk
    return out


def test_body_is_read_ahead_up_to_the_window_and_no_further(server: tuple[int, _App]) -> None:
    port, app = server
    answer = _put(port, BODY)
    assert answer.startswith(b"HTTP/1.1 201") and answer.endswith(str(BODY).encode())
    assert sum(app.pieces) == BODY
    first = app.pieces[0]
    # while the application slept the server went on reading past uvicorn's 64 KiB...
    assert first > WINDOW, app.pieces[:4]
    # ...but stopped within one socket read (256 KiB) of the window
    assert first <= WINDOW + 256 * 1024, app.pieces[:4]


def test_window_is_a_validated_setting() -> None:
    from onestack.core import config

    assert config.load(environ={}).server.request_body_window == http_protocol.DEFAULT_WINDOW
    c = config.load(environ={"ONESTACK_SERVER__REQUEST_BODY_WINDOW": str(WINDOW)})
    assert c.server.request_body_window == WINDOW
    with pytest.raises(config.ConfigError):
        config.load(environ={"ONESTACK_SERVER__REQUEST_BODY_WINDOW": "1024"})
