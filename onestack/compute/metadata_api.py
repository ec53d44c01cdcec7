"""Nova's metadata API (what guests read at http://169.254.169.254), served as a
small ASGI app on a Unix socket.  The network driver's proxy, in the network's
DHCP namespace, forwards each guest request here adding ``X-Forwarded-For`` (the
guest's address) and ``X-Neutron-Network-ID``; the network service says which
server holds that address (``instance_for_address``).

Paths (as ``nova/api/metadata/base.py`` and ``handler.py``):

  /                                     EC2 versions, then ``latest``
  /<ec2 version>/                       ``meta-data/``, ``user-data``
  /<ec2 version>/meta-data/...          instance-id, hostname, local-ipv4, public-keys/0/openssh-key, ...
  /<ec2 version>/user-data
  /openstack                            OpenStack versions, then ``latest``
  /openstack/<version>/                 meta_data.json, network_data.json, user_data, vendor_data*.json
  /openstack/<version>/<file>

The documents are the config drive's (``metadata.py``), so both say the same.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from onestack.compute import metadata
from onestack.compute.manager.networking import ordered
from onestack.compute.models import Instance
from onestack.core.db import Database

LOG = logging.getLogger(__name__)

# the files of /openstack/<version>/ and the version that added each
_OS_FILES = (("meta_data.json", "2012-08-10"), ("network_data.json", "2015-10-15"),
             ("user_data", "2012-08-10"), ("vendor_data.json", "2013-10-17"),
             ("vendor_data2.json", "2016-10-06"))


def socket_path(state_path: Path) -> Path:
    """``<state_path>/metadata.sock``, or a stable short name in the temp dir when
    that path is too long for a Unix socket (108 bytes)."""
    path = Path(state_path) / "metadata.sock"
    if len(os.fsencode(path)) < 100:
        return path
    digest = hashlib.sha256(os.fsencode(Path(state_path).resolve())).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"onestack-md-{digest}.sock"


class Lookup:
    """Finds the server behind a request and what to tell it."""

    def __init__(self, db: Database, network: Any) -> None:
        self.db = db
        self.network = network

    def instance(self, network_id: str, ip: str) -> Instance | None:
        uuid = self.network.instance_for_address(network_id, ip)
        if not uuid:
            return None
        with self.db.session() as s:
            inst = s.scalar(sa.select(Instance).where(Instance.uuid == uuid, Instance.deleted.is_(False)))
            if inst is not None:
                s.expunge(inst)
            return inst

    def ports(self, inst: Instance) -> list[dict[str, Any]]:
        return ordered(self.network.ports_for_servers([inst.uuid]).get(inst.uuid, []), inst.networks)

    def subnets(self, ports: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for net_id in dict.fromkeys(p["network_id"] for p in ports):
            state = self.network.network_state(net_id)
            out.update({sub.id: sub for sub in state.subnets} if state is not None else {})
        return out


def _text(lines: list[str]) -> PlainTextResponse:
    return PlainTextResponse("\n".join(lines))


def _not_found() -> Response:
    return PlainTextResponse("404 Not Found\n\nThe resource could not be found.\n\n", status_code=404)


def build_app(lookup: Lookup) -> Starlette:
    async def handle(request: Request) -> Response:
        path = request.url.path
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse("405 Method Not Allowed", status_code=405)
        parts = [p for p in path.split("/") if p]
        if not parts:
            return _text([*metadata.EC2_VERSIONS, "latest"])
        if parts == ["openstack"]:
            return _text([*metadata.OPENSTACK_VERSIONS, "latest"])
        version = parts[1] if parts[0] == "openstack" and len(parts) > 1 else parts[0]
        if parts[0] == "openstack":
            if version != "latest" and version not in metadata.OPENSTACK_VERSIONS:
                return _not_found()
        elif version != "latest" and version not in metadata.EC2_VERSIONS:
            return _not_found()
        net_id = request.headers.get("x-neutron-network-id")
        forwarded = request.headers.get("x-forwarded-for", "")
        ip = forwarded.split(",")[0].strip()
        if not net_id or not ip:
            return PlainTextResponse("400 Bad Request\n\nX-Forwarded-For and X-Neutron-Network-ID "
                                     "headers are required.\n\n", status_code=400)
        inst = await asyncio.to_thread(lookup.instance, net_id, ip)
        if inst is None:
            LOG.info("metadata: no server has %s on network %s", ip, net_id)
            return _not_found()
        if parts[0] == "openstack":
            return await _openstack(lookup, inst, version, parts[2:])
        return await _ec2(lookup, inst, parts[1:])

    return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "HEAD", "POST", "PUT", "DELETE"])])


async def _openstack(lookup: Lookup, inst: Instance, version: str, rest: list[str]) -> Response:
    names = [name for name, since in _OS_FILES if version == "latest" or version >= since]
    if inst.user_data is None:
        names.remove("user_data")
    if not rest:
        return _text(names)
    if len(rest) != 1 or rest[0] not in names:
        return _not_found()
    name = rest[0]
    if name == "user_data":
        return Response(metadata.user_data(inst) or b"", media_type="application/octet-stream")
    if name == "meta_data.json":
        return _json(metadata.meta_data(inst))
    if name == "network_data.json":
        ports = await asyncio.to_thread(lookup.ports, inst)
        subnets = await asyncio.to_thread(lookup.subnets, ports)
        return _json(metadata.network_data(ports, subnets))
    return _json({})


def _json(doc: Any) -> Response:
    return Response(json.dumps(doc), media_type="application/json")


async def _ec2(lookup: Lookup, inst: Instance, rest: list[str]) -> Response:
    if not rest:
        return _text(["meta-data/"] + (["user-data"] if inst.user_data is not None else []))
    if rest[0] == "user-data" and len(rest) == 1:
        data = metadata.user_data(inst)
        return _not_found() if data is None else Response(data, media_type="application/octet-stream")
    if rest[0] != "meta-data":
        return _not_found()
    ports = await asyncio.to_thread(lookup.ports, inst)
    node: Any = metadata.ec2_meta_data(inst, ports)
    for i, key in enumerate(rest[1:]):
        if not isinstance(node, dict) or key not in node:
            return _not_found()
        if key == "public-keys" and i == 0 and len(rest) == 2:
            # nova lists keys as "<index>=<name>"
            return _text([f"0={inst.key_name or 'key'}"] if inst.key_data else [])
        node = node[key]
    if isinstance(node, dict):
        return _text([k + "/" if isinstance(v, dict) else k for k, v in node.items()])
    return PlainTextResponse(str(node))


class MetadataServer:
    """The app on a Unix socket, served by uvicorn in a daemon thread."""

    def __init__(self, app: Starlette, path: Path) -> None:
        self.app = app
        self.path = Path(path)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        import uvicorn

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        config = uvicorn.Config(self.app, uds=str(self.path), log_level="warning", access_log=False,
                                lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="metadata", daemon=True)
        self._thread.start()
        for _ in range(200):
            if self._server.started:
                break
            if not self._thread.is_alive():
                raise RuntimeError(f"the metadata service could not listen on {self.path}")
            threading.Event().wait(0.02)
        # anyone who can connect may name any guest address: only root (the proxies)
        os.chmod(self.path, 0o600)
        LOG.info("metadata service on %s", self.path)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.path.unlink(missing_ok=True)
        self._server = self._thread = None
