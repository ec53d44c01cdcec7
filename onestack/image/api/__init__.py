"""The Glance v2 HTTP layer: routes, one module per resource, views, schemas."""
