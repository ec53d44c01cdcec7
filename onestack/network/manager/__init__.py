"""The network service (Neutron v2.0) logic, no HTTP.

``NetworkManager`` is a facade over one manager per resource:

``networks``, ``subnets``, ``subnetpools``, ``ports``, ``ipam``, ``quotas``, ``tags``,
``compute`` (the interface the compute service calls), and, when their modules
exist (the L3 side), ``secgroups``, ``routers``, ``floatingips`` (else ``None``).
Each L3 module ``onestack.network.manager.<name>`` exports ``build(mgr) -> object``.

The driver (``self.driver``) receives full snapshots: after a change (once committed)
call ``mgr.sync_network(network_id)`` (synchronous, one lock per network; nothing with
the noop driver); the L3 side syncs routers itself, after their networks.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
from pathlib import Path
from typing import Any

from onestack.core.config import Config
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.policy import Policy
from onestack.network import drivers, policies
from onestack.network.manager.common import policy_denied
from onestack.network.manager.compute import ComputeInterface
from onestack.network.manager.ipam import Ipam
from onestack.network.manager.networks import Networks
from onestack.network.manager.ports import Ports
from onestack.network.manager.quotas import Quotas
from onestack.network.manager.state import StateBuilder
from onestack.network.manager.subnetpools import SubnetPools
from onestack.network.manager.subnets import Subnets
from onestack.network.manager.tags import Tags

LOG = logging.getLogger(__name__)
L3_MODULES = ("secgroups", "routers", "floatingips")


class NetworkManager:
    def __init__(self, conf: Config, db: Database) -> None:
        self.conf = conf
        self.db = db
        nc = conf.network
        self.state_path = Path(nc.state_path or conf.data_path / "network")
        extra: dict[str, Any] = {}
        if nc.driver != "noop":
            extra = {"vxlan_local_ip": nc.vxlan_local_ip, "vxlan_port": nc.vxlan_port,
                     "dns_domain": nc.dns_domain, "host": conf.compute.host}
        self.driver = drivers.load(nc.driver, str(self.state_path), **extra)
        self.quotas = Quotas(self)
        self.tags = Tags(self)
        self.ipam = Ipam(self)
        self.networks = Networks(self)
        self.subnetpools = SubnetPools(self)
        self.subnets = Subnets(self)
        self.ports = Ports(self)
        self.state = StateBuilder(self)
        self.compute = ComputeInterface(self)
        own = {"project_id": lambda r: {"project_id": r.project_id, "tenant_id": r.project_id,
                                        "shared": "True" if getattr(r, "shared", False) else "False"}}
        self.tags.register("networks", self.networks.get_row, "update_network", own["project_id"])
        self.tags.register("subnets", self.subnets.get_row, "update_subnet", own["project_id"])
        self.tags.register("subnetpools", self.subnetpools.get_row, "update_subnetpool", own["project_id"])
        self.tags.register("ports", self.ports.get_row, "update_port", own["project_id"])
        self.secgroups: Any = None
        self.routers: Any = None
        self.floatingips: Any = None
        for name in L3_MODULES:
            try:
                mod = importlib.import_module(f"onestack.network.manager.{name}")
            except ModuleNotFoundError as e:
                if e.name != f"onestack.network.manager.{name}":
                    raise
                continue
            setattr(self, name, mod.build(self))
        # after the L3 modules: they may register rules at import
        self.policy = Policy(policies.defaults(), nc.policy_file)
        # one lock per network: the driver never sees two calls for one network at once
        self._net_locks: dict[str, threading.Lock] = {}
        # SQLite has one writer: threads of this process that would race for it take
        # turns here instead of failing with "database is locked" and retrying
        self.write_lock: Any = threading.Lock() if db.url.startswith("sqlite") else contextlib.nullcontext()

    # ---- policy ---------------------------------------------------------------------
    def check(self, ctx: RequestContext, rule: str, target: dict[str, Any]) -> bool:
        return self.policy.check(ctx, rule, extra=target)

    def enforce(self, ctx: RequestContext, rule: str, target: dict[str, Any]) -> None:
        if not self.policy.check(ctx, rule, extra=target):
            raise policy_denied(rule)

    # ---- lifecycle --------------------------------------------------------------------
    def bootstrap(self, admin_project_id: str | None = None) -> None:
        """Idempotent: the public network (as devstack's ``public``)."""
        if admin_project_id:
            self.networks.ensure_public(admin_project_id)

    def set_metadata_socket(self, path: str) -> None:
        self.driver.metadata_socket = path

    def start(self) -> None:
        self.state_path.mkdir(parents=True, exist_ok=True)
        try:
            nets = self.state.all_networks()
            routers = self.routers.all_states() if self.routers is not None and hasattr(
                self.routers, "all_states") else []
            self.driver.resync(nets, routers)
        except Exception:
            LOG.exception("network driver resync failed")

    def stop(self) -> None:
        self.driver.stop()

    # ---- the dataplane ----------------------------------------------------------------
    def sync_network(self, network_id: str) -> None:
        """The network changed (after the commit): hand the driver its new snapshot,
        synchronously, so that the dataplane matches when the request answers (and
        before the L3 side syncs a router on it).  The noop driver needs none."""
        if self.driver.name == "noop":
            return
        self.sync_network_now(network_id)

    def sync_network_now(self, network_id: str) -> None:
        lock = self._net_locks.setdefault(network_id, threading.Lock())
        with lock:
            st = self.state.network(network_id)
            try:
                if st is None:
                    self.driver.delete_network(network_id)
                else:
                    self.driver.sync_network(st)
            except Exception:
                LOG.exception("network driver failed to sync network %s", network_id)
