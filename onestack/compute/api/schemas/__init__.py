"""Request schemas, from upstream Nova's ``api/openstack/compute/schemas``.
Each is a function of the microversion (``factory(version) -> schema``) so a
version range is one ``if`` here, not in a handler."""
