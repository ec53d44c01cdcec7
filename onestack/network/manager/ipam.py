"""IP address management: which address a port gets on a subnet.

Correct under concurrency on every backend: an allocation is a row whose primary
key is (subnet_id, ip_address).  A free address is chosen at random among the
first free ones of the allocation pools (so racing requests rarely pick the same);
if another transaction commits the same address first, the insert fails and the
whole unit of work runs again (``common.retrying``).  Deleting the port (or the
allocation) gives the address back.

IPv6 subnets in ``slaac``/``dhcpv6-stateless`` address mode give every port its
EUI-64 address (from the port's MAC); such addresses cannot be asked for.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.network.manager.common import bad_request, conflict, not_found
from onestack.network.models import IPAllocation, Network, Subnet

if TYPE_CHECKING:
    from onestack.network.manager import NetworkManager

AUTO_MODES = ("slaac", "dhcpv6-stateless")
CANDIDATES = 32


def is_auto_address(subnet: Subnet) -> bool:
    return subnet.ip_version == 6 and subnet.ipv6_address_mode in AUTO_MODES


def eui64(cidr: str, mac: str) -> str:
    net = ipaddress.ip_network(cidr)
    m = int(mac.replace(":", ""), 16)
    eui = ((m >> 24) << 40) | (0xFFFE << 24) | (m & 0xFFFFFF)
    eui ^= 1 << 57
    return str(net.network_address + eui)


def default_pools(cidr: str, gateway: str | None) -> list[dict[str, str]]:
    """Upstream's: every host address of the CIDR except the gateway."""
    net = ipaddress.ip_network(cidr)
    if net.version == 4:
        if net.prefixlen >= 31:
            first, last = int(net.network_address), int(net.broadcast_address)
        else:
            first, last = int(net.network_address) + 1, int(net.broadcast_address) - 1
    else:
        if net.prefixlen == 128:
            first = last = int(net.network_address)
        else:
            first, last = int(net.network_address) + 1, int(net.broadcast_address)
    ranges = [(first, last)]
    if gateway is not None:
        gw = int(ipaddress.ip_address(gateway))
        if first <= gw <= last:
            ranges = [(first, gw - 1), (gw + 1, last)]
    cls = ipaddress.IPv4Address if net.version == 4 else ipaddress.IPv6Address
    return [{"start": str(cls(a)), "end": str(cls(b))} for a, b in ranges if a <= b]


def in_pools(subnet: Subnet, ip: str) -> bool:
    n = int(ipaddress.ip_address(ip))
    return any(int(ipaddress.ip_address(p["start"])) <= n <= int(ipaddress.ip_address(p["end"]))
               for p in subnet.allocation_pools or [])


def _pool_addresses(subnet: Subnet) -> Iterator[int]:
    for p in subnet.allocation_pools or []:
        a, b = int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"]))
        yield from range(a, b + 1)


class Ipam:
    def __init__(self, mgr: NetworkManager) -> None:
        self.mgr = mgr

    def used(self, s: Session, subnet_id: str) -> set[str]:
        return set(s.scalars(sa.select(IPAllocation.ip_address).where(IPAllocation.subnet_id == subnet_id)))

    def free_address(self, s: Session, subnet: Subnet, *, lowest: bool = False) -> str | None:
        """A free address of the pools (random among the first few free, or the lowest
        one), or None."""
        used = self.used(s, subnet.id)
        cls = ipaddress.IPv4Address if subnet.ip_version == 4 else ipaddress.IPv6Address
        gw = subnet.gateway_ip
        found: list[str] = []
        for n in _pool_addresses(subnet):
            ip = str(cls(n))
            if ip in used or ip == gw:
                continue
            found.append(ip)
            if lowest or len(found) >= CANDIDATES:
                break
        return random.choice(found) if found else None

    def validate_ip(self, subnet: Subnet, ip: str) -> str:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            raise bad_request(f"Invalid input for ip_address. Reason: '{ip}' is not a valid IP "
                              "address.") from None
        net = ipaddress.ip_network(subnet.cidr)
        if addr.version != net.version or addr not in net or (
                net.version == 4 and net.prefixlen < 31
                and addr in (net.network_address, net.broadcast_address)):
            raise bad_request(f"IP address {ip} is not a valid IP for the specified subnet.",
                              "InvalidIpForSubnet")
        return str(addr)

    def allocate(self, s: Session, subnet: Subnet, port_id: str, *, ip: str | None = None,
                 mac: str | None = None, lowest: bool = False) -> str:
        """Add the allocation row (in the caller's transaction) and return the address.

        ``ip`` given: 409 ``IpAddressAlreadyAllocated`` when taken.  None: a free pool
        address, 409 ``IpAddressGenerationFailure`` when the pools are exhausted; an
        auto-address IPv6 subnet gives the port's EUI-64 address (``mac`` needed).
        ``lowest``: the first free address (the DHCP port's, as devstack shows it:
        tests that ask for specific addresses rarely ask for the pool's first)."""
        if ip is None and is_auto_address(subnet):
            assert mac is not None
            ip = eui64(subnet.cidr, mac)
            explicit = False
        else:
            explicit = ip is not None
        if ip is not None:
            ip = self.validate_ip(subnet, ip)
            if s.get(IPAllocation, (subnet.id, ip)) is not None:
                if explicit:
                    raise conflict(f"IP address {ip} already allocated in subnet {subnet.id}",
                                   "IpAddressAlreadyAllocated")
                raise conflict(f"Unable to complete operation for network {subnet.network_id}. "
                               f"The IP address {ip} is in use.", "IpAddressInUse")
        else:
            ip = self.free_address(s, subnet, lowest=lowest)
            if ip is None:
                raise conflict(f"No more IP addresses available on network {subnet.network_id}.",
                               "IpAddressGenerationFailure")
        s.add(IPAllocation(subnet_id=subnet.id, ip_address=ip, port_id=port_id,
                           network_id=subnet.network_id))
        return ip

    def release(self, s: Session, port_id: str, subnet_id: str | None = None) -> None:
        q = sa.delete(IPAllocation).where(IPAllocation.port_id == port_id)
        if subnet_id is not None:
            q = q.where(IPAllocation.subnet_id == subnet_id)
        s.execute(q)

    def subnet_on_network(self, s: Session, network: Network, subnet_id: str) -> Subnet:
        sub = s.get(Subnet, subnet_id)
        if sub is None:
            raise not_found("Subnet", subnet_id)
        if sub.network_id != network.id:
            raise bad_request(f"Invalid input for operation: Failed to create port on network "
                              f"{network.id}, because fixed_ips included invalid subnet {subnet_id}.",
                              "InvalidInput")
        return sub

    def resolve_fixed_ips(self, s: Session, network: Network, fixed_ips: Any,
                          ) -> list[tuple[Subnet, str | None]]:
        """``fixed_ips`` of a request -> [(subnet, ip or None)], validated."""
        if not isinstance(fixed_ips, list):
            raise bad_request(f"Invalid input for fixed_ips. Reason: '{fixed_ips}' is not a list.")
        subnets = list(s.scalars(sa.select(Subnet).where(Subnet.network_id == network.id)))
        out: list[tuple[Subnet, str | None]] = []
        seen: set[tuple[str, str | None]] = set()
        for item in fixed_ips:
            if not isinstance(item, dict) or set(item) - {"subnet_id", "ip_address"}:
                raise bad_request(f"Invalid input for fixed_ips. Reason: '{item}' is not a valid "
                                  "fixed IP (a dictionary with subnet_id and/or ip_address).")
            sid, ip = item.get("subnet_id"), item.get("ip_address")
            if ip is not None and not isinstance(ip, str):
                raise bad_request(f"Invalid input for ip_address. Reason: '{ip}' is not a valid IP "
                                  "address.")
            if sid is not None and not isinstance(sid, str):
                raise bad_request(f"Invalid input for subnet_id. Reason: '{sid}' is not a valid UUID.")
            if sid:
                sub = self.subnet_on_network(s, network, sid)
            elif ip:
                try:
                    addr = ipaddress.ip_address(ip)
                except ValueError:
                    raise bad_request(f"Invalid input for ip_address. Reason: '{ip}' is not a valid "
                                      "IP address.") from None
                match = [x for x in subnets if addr.version == x.ip_version
                         and addr in ipaddress.ip_network(x.cidr)]
                if not match:
                    raise bad_request(f"IP address {ip} is not a valid IP for any of the subnets on "
                                      "the specified network.", "InvalidIpForNetwork")
                sub = match[0]
            else:
                raise bad_request("Invalid input for fixed_ips: each entry needs a subnet_id or an "
                                  "ip_address.")
            if ip is not None:
                ip = self.validate_ip(sub, ip)
                if is_auto_address(sub):
                    raise bad_request(f"IPv6 address {ip} cannot be directly assigned to a port on "
                                      f"subnet {sub.id} as the subnet is configured for automatic "
                                      "addresses", "InvalidInput")
            key = (sub.id, ip)
            if key in seen and ip is not None:
                raise bad_request(f"Invalid input for operation: Duplicate IP address '{ip}'.",
                                  "InvalidInput")
            seen.add(key)
            out.append((sub, ip))
        return out

    def default_subnets(self, s: Session, network: Network) -> list[Subnet]:
        """Where a port without ``fixed_ips`` gets addresses, as upstream: one IPv4
        subnet, one stateful IPv6 subnet, and every auto-address IPv6 subnet."""
        subnets = list(s.scalars(sa.select(Subnet).where(Subnet.network_id == network.id)
                                 .order_by(Subnet.created_at, Subnet.id)))
        out: list[Subnet] = []
        v4 = [x for x in subnets if x.ip_version == 4]
        v6 = [x for x in subnets if x.ip_version == 6 and not is_auto_address(x)]
        for group in (v4, v6):
            for x in group:
                if self.free_address(s, x) is not None:
                    out.append(x)
                    break
            else:
                if group:
                    raise conflict(f"No more IP addresses available on network {network.id}.",
                                   "IpAddressGenerationFailure")
        out.extend(x for x in subnets if is_auto_address(x))
        return out
