"""The HTTP protocol onestack serves with: uvicorn's httptools protocol with a
larger read-ahead window for request bodies.

uvicorn stops reading a connection as soon as more than 64 KiB of request body
waits for the application, and starts again only when the application asks for
the next piece.  For a big upload (an object, an image) that turns the socket
into a ping-pong of pause, wake the application, resume, read 256 KiB: on this
project's machines it delivered a 256 MiB body at about a quarter of the speed of a
plain blocking ``recv_into`` loop, slower than the MD5 the object store has to
compute over it.

``BodyWindowProtocol`` keeps reading until ``window`` bytes wait (``server.
request_body_window``, 4 MiB by default): the kernel, the parser and the
application's hashing and writing threads then work side by side.  Memory stays
bounded per connection (at most the window plus one socket read), whatever the
size of the body.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_WINDOW = 4 * 1024 * 1024


class BodyWindowProtocol(HttpToolsProtocol):
    window = DEFAULT_WINDOW

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if (self.parser.should_upgrade() and self._should_upgrade()) or cycle.response_complete:
            return
        cycle.body += body
        if len(cycle.body) > self.window:
            self.flow.pause_reading()
        cycle.message_event.set()


def set_window(window: int) -> None:
    """Set the read-ahead window of every connection this process serves (from
    ``server.request_body_window``; uvicorn's worker processes call it too)."""
    BodyWindowProtocol.window = window
