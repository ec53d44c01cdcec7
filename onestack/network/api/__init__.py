"""Neutron v2.0 HTTP layer: ``routes.py`` holds the one route table."""
