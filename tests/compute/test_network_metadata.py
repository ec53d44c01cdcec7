"""The metadata documents (config drive and metadata service): network_data.json
from ports and subnets, meta_data.json, the EC2 tree."""

from __future__ import annotations

import base64
import json

from onestack.compute import metadata
from onestack.compute.models import Instance
from onestack.network.drivers.base import SubnetState

PORT = {"id": "11111111-2222-3333-4444-555555555555", "network_id": "net-1", "mac_address": "fa:16:3e:00:00:01",
        "mtu": 1450, "fixed_ips": [{"subnet_id": "s4", "ip_address": "10.1.0.5"},
                                   {"subnet_id": "s6", "ip_address": "fd00::5"}],
        "floating_ips": [{"floating_ip_address": "172.24.4.9", "fixed_ip_address": "10.1.0.5"}]}
SUBNETS = {
    "s4": SubnetState(id="s4", cidr="10.1.0.0/24", ip_version=4, gateway_ip="10.1.0.1", enable_dhcp=True,
                      dns_nameservers=["10.1.0.53"], host_routes=[("192.168.0.0/16", "10.1.0.254")]),
    "s6": SubnetState(id="s6", cidr="fd00::/64", ip_version=6, gateway_ip="fd00::1", enable_dhcp=True,
                      ipv6_address_mode="slaac", ipv6_ra_mode="slaac"),
}


def _inst(**kw: object) -> Instance:
    values: dict[str, object] = dict(
        uuid="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", project_id="p", display_name="vm", hostname="vm",
        availability_zone="nova", launch_index=0, metadata_={"k": "v"}, key_name="key", key_data="ssh-ed25519 AAA",
        key_type="ssh", user_data=base64.b64encode(b"#cloud-config\n").decode(), flavor={"name": "m1.nano"},
        image_ref="img-1", reservation_id="r-1", root_device_name="/dev/vda")
    values.update(kw)
    return Instance(**values)


def test_network_data_from_ports_and_subnets() -> None:
    nd = metadata.network_data([PORT], SUBNETS)
    (link,) = nd["links"]
    assert link == {"id": "tap11111111-22", "vif_id": PORT["id"], "type": "bridge", "mtu": 1450,
                    "ethernet_mac_address": "fa:16:3e:00:00:01"}
    v4, v6 = nd["networks"]
    assert v4["type"] == "ipv4_dhcp" and v4["ip_address"] == "10.1.0.5" and v4["netmask"] == "255.255.255.0"
    assert v4["routes"] == [
        {"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.1.0.1"},
        {"network": "192.168.0.0", "netmask": "255.255.0.0", "gateway": "10.1.0.254"}]
    assert v4["services"] == [{"type": "dns", "address": "10.1.0.53"}]
    assert v6["type"] == "ipv6_slaac" and v6["link"] == "tap11111111-22"
    assert nd["services"] == [{"type": "dns", "address": "10.1.0.53"}]
    # a port whose subnet is unknown still gets a DHCP entry
    assert metadata.network_data([PORT], {})["networks"][0]["type"] == "ipv4_dhcp"


def test_config_drive_files_and_ec2_tree() -> None:
    inst = _inst()
    files = metadata.files(inst, [PORT], SUBNETS)
    md = json.loads(files["openstack/latest/meta_data.json"])
    assert md["uuid"] == inst.uuid and md["meta"] == {"k": "v"} and md["public_keys"] == {"key": "ssh-ed25519 AAA"}
    assert md["keys"] == [{"name": "key", "type": "ssh", "data": "ssh-ed25519 AAA"}] and md["random_seed"]
    assert files["openstack/latest/user_data"] == b"#cloud-config\n"
    assert json.loads(files["openstack/latest/network_data.json"])["links"][0]["vif_id"] == PORT["id"]
    ec2 = metadata.ec2_meta_data(inst, [PORT])
    assert ec2["local-ipv4"] == "10.1.0.5" and ec2["public-ipv4"] == "172.24.4.9"
    assert ec2["instance-id"] == "i-aaaaaaaa" and ec2["instance-type"] == "m1.nano"
    assert ec2["public-keys"] == {"0": {"openssh-key": "ssh-ed25519 AAA"}}
    bare = _inst(key_data=None, user_data=None)
    assert "openstack/latest/user_data" not in metadata.files(bare)
    assert "public-keys" not in metadata.ec2_meta_data(bare, [])
