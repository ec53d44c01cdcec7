"""onestack: an OpenStack-API-compatible cloud in one process."""

__version__ = "0.1.0"
