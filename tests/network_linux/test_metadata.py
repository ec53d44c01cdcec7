"""The metadata proxy in the DHCP namespace: 169.254.169.254 from a guest reaches the
metadata socket with the guest's address and network id added."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.network_linux.conftest import default_rules, http_get, network, port, subnet


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path != "/openstack/latest/meta_data.json":
            self.send_error(404)
            return
        body = json.dumps({
            "uuid": "instance-for-" + self.headers.get("X-Forwarded-For", "?"),
            "network": self.headers.get("X-Neutron-Network-ID"),
            "forwarded_for": self.headers.get("X-Forwarded-For"),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _UnixHTTP(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self) -> Any:
        sock, _ = super().get_request()
        return sock, ("local", 0)


@pytest.fixture
def metadata_service(driver: Any) -> Iterator[str]:
    path = driver.metadata_socket
    Path(path).unlink(missing_ok=True)
    server = _UnixHTTP(path, _Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield path
    server.shutdown()
    server.server_close()


def test_guest_reads_metadata_through_the_dhcp_namespace(driver: Any, guests: Any, metadata_service: str) -> None:
    s = subnet("10.95.0.0/24", gateway=None)
    dhcp_port = port(s, "10.95.0.2", owner="network:dhcp")
    a = port(s, "10.95.0.11", security_group_rules=default_rules())
    net = network([s], [dhcp_port, a])
    driver.sync_network(net)
    g = guests.new()
    driver.plug_veth(net, a.id, g)
    lease = guests.dhcp(g)
    assert lease["staticroutes"] == "169.254.169.254/32 10.95.0.2"
    status, body = http_get(g, "http://169.254.169.254/openstack/latest/meta_data.json")
    assert status == 200
    assert json.loads(body) == {"uuid": "instance-for-10.95.0.11", "network": net.id, "forwarded_for": "10.95.0.11"}
    assert http_get(g, "http://169.254.169.254/nope")[0] == 404
    # a guest cannot pose as another: its own forwarding headers are dropped
    spoof = {"X-Forwarded-For": "10.95.0.99", "X-Neutron-Network-ID": "other"}
    status, body = http_get(g, "http://169.254.169.254/openstack/latest/meta_data.json", spoof)
    assert json.loads(body)["forwarded_for"] == "10.95.0.11" and json.loads(body)["network"] == net.id


def test_without_a_metadata_socket_the_proxy_answers_404(tmp_path: Path, guests: Any) -> None:
    from onestack.network.drivers.linux import LinuxDriver

    driver = LinuxDriver(str(tmp_path / "state2"), metadata_socket=None)
    try:
        s = subnet("10.96.0.0/24", gateway=None)
        dhcp_port = port(s, "10.96.0.2", owner="network:dhcp")
        a = port(s, "10.96.0.11", security_group_rules=default_rules())
        net = network([s], [dhcp_port, a])
        driver.sync_network(net)
        g = guests.new()
        driver.plug_veth(net, a.id, g)
        guests.dhcp(g)
        assert http_get(g, "http://169.254.169.254/openstack")[0] == 404
    finally:
        driver.teardown()
