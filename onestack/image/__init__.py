"""Image service: the Glance v2 API."""
