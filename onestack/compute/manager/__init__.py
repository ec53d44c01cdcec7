"""The compute service's API-side logic (no HTTP): one facade over
per-resource managers, plus the in-process workers when this process is also
a compute node."""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Any

from onestack.compute.manager.actions import ActionManager
from onestack.compute.manager.flavors import FlavorManager
from onestack.compute.manager.groups import GroupManager
from onestack.compute.manager.hosts import HostManager
from onestack.compute.manager.keypairs import KeyPairManager
from onestack.compute.manager.listing import ServerLister
from onestack.compute.manager.networking import ServerNetworking
from onestack.compute.manager.quotas import QuotaManager
from onestack.compute.manager.secgroups import SecurityGroupManager
from onestack.compute.manager.server_meta import ServerMetaManager
from onestack.compute.manager.servers import ServerManager
from onestack.compute.manager.usage import UsageManager
from onestack.compute.manager.volumes import VolumeAttachmentManager
from onestack.core import bus as bus_mod
from onestack.core.config import Config
from onestack.core.db import Database

LOG = logging.getLogger(__name__)


class ComputeManager:
    def __init__(self, conf: Config, db: Database, image: Any = None, bus: bus_mod.Bus | None = None,
                 network: Any = None, volume: Any = None) -> None:
        self.conf = conf
        self.db = db
        self.image = image
        # the network and volume services' managers, when they are enabled
        self.network = network
        self.volume = volume
        self.bus = bus or bus_mod.from_url(self.bus_url, db=db, wake_dir=conf.data_path / "bus")
        self.flavors = FlavorManager(db)
        self.quotas = QuotaManager(db)
        self.keypairs = KeyPairManager(db, self.quotas)
        self.hosts = HostManager(db)
        self.servers = ServerManager(db, self.flavors, self.keypairs, self.quotas, image, self.cast,
                                     conf.compute.availability_zone)
        self.lister = ServerLister(db)
        self.actions = ActionManager(db, self.flavors, image, self.cast, self.servers)
        self.actions.snapshot_format = "raw" if conf.compute.driver == "fake" else "qcow2"
        self.meta = ServerMetaManager(db, self.quotas)
        self.groups = GroupManager(db, self.quotas)
        self.usage = UsageManager(db)
        self.secgroups = SecurityGroupManager(db)
        self.servers.secgroups = self.secgroups
        # compute ↔ network (ports, addresses, os-interface); inert without the network service
        # (the network service's compute-facing interface: NetworkManager.compute)
        self.netapi: Any = getattr(network, "compute", network)
        self.net = ServerNetworking(self.netapi, network)
        if network is not None:
            self.lister.ip_filter = self.net.uuids_by_ip
        if network is not None and getattr(network, "secgroups", None) is not None:
            # the os-security-groups proxy acts on Neutron's groups (as nova with Neutron)
            from onestack.compute.manager.neutron_secgroups import NeutronSecurityGroups

            self.secgroups = NeutronSecurityGroups(db, network, self.netapi)  # type: ignore[assignment]
            self.servers.secgroups = self.secgroups
        self.servers.net = self.net
        self.metadata_server: Any = None
        if network is not None:
            self._announce_metadata_socket()
        # volumes on servers (os-volume_attachments, boot from volume); inert without the volume service
        self.volume_attachments = VolumeAttachmentManager(db, volume, image, self.cast)
        self.servers.block_devices = self.volume_attachments
        if volume is not None and hasattr(volume, "extend_listeners"):
            volume.extend_listeners.append(self._extend_attached_volume)
        self.workers: dict[str, Any] = {}
        self._locks: list[int] = []
        self._started = False

    @property
    def bus_url(self) -> str:
        """``local://`` means "embedded": in-process for one process, the database
        queue (``db://``) when ``serve --workers N`` runs several API processes."""
        url = self.conf.compute.bus_url
        if url.startswith("local") and self.conf.server.workers > 1:
            return "db://"
        return url

    @property
    def state_path(self) -> Path:
        return Path(self.conf.compute.state_path or self.conf.data_path / "compute")

    @property
    def metadata_socket(self) -> Path:
        """Where this process serves Nova's metadata API (the network driver's
        proxies forward guests' requests for 169.254.169.254 there)."""
        from onestack.compute.metadata_api import socket_path

        return socket_path(Path(self.conf.network.state_path or self.conf.data_path / "network"))

    def _announce_metadata_socket(self) -> None:
        path = str(self.metadata_socket)
        setter = getattr(self.network, "set_metadata_socket", None)
        if setter is not None:
            setter(path)
        elif getattr(self.network, "driver", None) is not None:
            self.network.driver.metadata_socket = path

    def cast(self, host: str, method: str, payload: dict[str, Any]) -> None:
        from onestack.compute.worker import topic

        self.bus.cast(topic(host), method, payload)

    def bootstrap(self) -> None:
        self.flavors.ensure_defaults()

    def start(self) -> None:
        """Start this process's workers (one per host; ``fake_hosts`` of them for
        the fake driver).  Idempotent; needs the tables, so call after migrating."""
        if self._started or not self.conf.compute.worker:
            return
        from onestack.compute import drivers
        from onestack.compute.worker import Worker

        cc = self.conf.compute
        count = cc.fake_hosts if cc.driver == "fake" else 1
        for i in range(count):
            host = cc.host if i == 0 else f"{cc.host}-{i + 1}"
            path = self.state_path / host
            path.mkdir(parents=True, exist_ok=True)
            self._locks.append(_lock_host(path, host))
            driver = drivers.load(cc.driver, state_path=path, hostname=host)
            w = Worker(self.db, driver, host, cc.availability_zone, self.image, path, network=self.netapi,
                       volume=self.volume)
            w.start(self.bus)
            self.workers[host] = w
        if self.network is not None:
            from onestack.compute.metadata_api import Lookup, MetadataServer, build_app

            self.metadata_server = MetadataServer(build_app(Lookup(self.db, self.netapi)), self.metadata_socket)
            self.metadata_server.start()
        self._started = True

    def _extend_attached_volume(self, instance_uuid: str, volume_id: str, new_size_gb: int,
                                connection_info: dict[str, Any] | None = None) -> None:
        """The volume service grew an attached volume (3.42): the guest's view
        grows too (QMP ``block_resize``), through the server's compute host."""
        host = self.volume_attachments.host_of_volume(volume_id, instance_uuid)
        if host is None:
            return
        self.node_call(host, "extend_volume", {"uuid": instance_uuid, "volume_id": volume_id,
                                                "size_gb": new_size_gb})

    def worker_for(self, host: str) -> Any:
        """This process's worker for ``host``, or a proxy that asks the host's
        worker over the bus (None when the bus cannot cross processes)."""
        w = self.workers.get(host)
        if w is None and not isinstance(self.bus, bus_mod.LocalBus):
            return RemoteNode(self.bus)
        return w

    def node_call(self, host: str, method: str, payload: dict[str, Any]) -> Any:
        """A synchronous question to ``host``'s worker (in this process, or over the bus)."""
        from onestack.compute.drivers.base import DriverError
        from onestack.compute.worker import topic

        w = self.workers.get(host)
        if w is not None:
            return w.answer(method, payload)
        if isinstance(self.bus, bus_mod.LocalBus):
            raise DriverError(f"compute host {host} is not running")
        try:
            return self.bus.call(topic(host) + ".call", method, payload, timeout=60.0)
        except bus_mod.RemoteError as e:
            raise DriverError(str(e)) from None
        except TimeoutError:
            raise DriverError(f"compute host {host} did not answer") from None

    def stop(self) -> None:
        if self.metadata_server is not None:
            self.metadata_server.stop()
            self.metadata_server = None
        for w in self.workers.values():
            w.stop()
        self.bus.close()
        self.workers.clear()
        for fd in self._locks:
            os.close(fd)
        self._locks.clear()
        self._started = False


class HostBusy(RuntimeError):
    """Another process already runs this compute host's worker."""


def _lock_host(path: Path, host: str) -> int:
    """Exactly one worker per compute host: an exclusive ``flock`` on
    ``<state_path>/<host>/worker.lock``, held for the worker's life (the kernel
    drops it when the process dies, even by SIGKILL)."""
    lock = path / "worker.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise HostBusy(f"compute host {host!r} already runs in another process ({lock} is locked)") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


class RemoteNode:
    """The worker-side questions an API process asks another process's worker."""

    def __init__(self, bus: bus_mod.Bus) -> None:
        self.bus = bus

    def console_output(self, host: str, uuid: str, length: int | None) -> str:
        from onestack.compute.drivers.base import DriverError
        from onestack.compute.worker import topic

        try:
            out = self.bus.call(topic(host) + ".call", "console_output", {"uuid": uuid, "length": length},
                                timeout=30.0)
        except bus_mod.RemoteError as e:
            raise DriverError(str(e)) from None
        except TimeoutError:
            raise DriverError(f"compute host {host} did not answer") from None
        return str(out)
