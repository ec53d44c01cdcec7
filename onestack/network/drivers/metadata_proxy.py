"""The metadata proxy that runs inside each ``qdhcp-<network id>`` namespace.

It listens on 169.254.169.254:80 and forwards every request to the metadata
service's Unix socket, adding ``X-Forwarded-For: <guest ip>`` and
``X-Neutron-Network-ID: <network id>`` (neutron's ns-metadata-proxy does the same).
Without a socket it answers 404.  One request per connection (``Connection:
close``), which is all cloud-init and curl need.

    python -m onestack.network.drivers.metadata_proxy --network-id ID \\
        --pid-file PATH [--socket PATH] [--bind 169.254.169.254] [--port 80]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal

MAX_HEAD = 64 * 1024
_DROP = (b"x-forwarded-for", b"x-neutron-network-id", b"x-neutron-router-id", b"x-instance-id", b"connection")


def _simple(status: str, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


async def _handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, network_id: str, socket_path: str | None
) -> None:
    try:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            return
        peer = writer.get_extra_info("peername")
        guest_ip = peer[0] if peer else ""
        lines = head[:-4].split(b"\r\n")
        request_line, headers = lines[0], lines[1:]
        length = 0
        kept = []
        for h in headers:
            name, _, value = h.partition(b":")
            lname = name.strip().lower()
            if lname == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    writer.write(_simple("400 Bad Request", b"bad Content-Length\n"))
                    return
            if lname in _DROP:
                continue
            kept.append(h)
        body = await reader.readexactly(length) if length else b""
        if socket_path is None:
            writer.write(_simple("404 Not Found", b"no metadata service\n"))
            return
        kept.append(b"X-Forwarded-For: " + guest_ip.encode())
        kept.append(b"X-Neutron-Network-ID: " + network_id.encode())
        kept.append(b"Connection: close")
        try:
            ur, uw = await asyncio.open_unix_connection(socket_path)
        except OSError:
            writer.write(_simple("503 Service Unavailable", b"metadata service unavailable\n"))
            return
        try:
            uw.write(request_line + b"\r\n" + b"\r\n".join(kept) + b"\r\n\r\n" + body)
            await uw.drain()
            while chunk := await ur.read(65536):
                writer.write(chunk)
                await writer.drain()
        finally:
            uw.close()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            await writer.drain()
        writer.close()


async def serve(bind: str, port: int, network_id: str, socket_path: str | None, pid_file: str) -> None:
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, network_id, socket_path), bind, port, limit=MAX_HEAD, reuse_address=True
    )
    # the pid file appears once the socket listens: the driver waits for it
    with open(pid_file + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.replace(pid_file + ".tmp", pid_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="onestack-metadata-proxy")
    ap.add_argument("--network-id", required=True)
    ap.add_argument("--socket", default=None)
    ap.add_argument("--pid-file", required=True)
    ap.add_argument("--bind", default="169.254.169.254")
    ap.add_argument("--port", type=int, default=80)
    args = ap.parse_args(argv)
    asyncio.run(serve(args.bind, args.port, args.network_id, args.socket, args.pid_file))


if __name__ == "__main__":
    main()
