"""The network service: Neutron v2.0 (networks, subnets, subnet pools, ports, IPAM,
quotas, tags; routers, floating IPs and security groups in the L3 modules)."""
