"""The ``noop`` driver: the API works, nothing is made on the host."""

from __future__ import annotations

from onestack.network.drivers.base import NetworkDriver, NetworkState, RouterState


class NoopDriver(NetworkDriver):
    name = "noop"

    def resync(self, networks: list[NetworkState], routers: list[RouterState]) -> None:
        pass

    def sync_network(self, network: NetworkState) -> None:
        pass

    def delete_network(self, network_id: str) -> None:
        pass

    def sync_router(self, router: RouterState) -> None:
        pass

    def delete_router(self, router_id: str) -> None:
        pass

    def plug_port(self, network: NetworkState, port_id: str) -> str:
        return "tap" + port_id[:11]

    def unplug_port(self, port_id: str) -> None:
        pass
