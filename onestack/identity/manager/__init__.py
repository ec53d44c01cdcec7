"""Identity logic, no HTTP.  ``IdentityManager`` bundles the parts for ``app.py``."""

from onestack.identity.manager.core import IdentityManager

__all__ = ["IdentityManager"]
