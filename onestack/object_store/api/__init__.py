"""Swift v1 HTTP layer: one route table (routes.py), one module per resource."""
