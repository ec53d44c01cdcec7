"""Composition root: which services are on, how they are wired, in what order
they start.  One ASGI app serves every enabled service under its own path."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from onestack import __version__
from onestack.core import config as config_mod
from onestack.core import http_protocol, migrations
from onestack.core.config import Config
from onestack.core.db import Database
from onestack.core.web import json_response, mount

LOG = logging.getLogger("onestack")

MOUNTS = {"identity": "/identity", "object_store": "/object-store", "image": "/image", "compute": "/compute",
          "network": "/network", "volume": "/volume"}


@dataclass
class Cloud:
    conf: Config
    db: Database
    services: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, conf: Config) -> Cloud:
        db = Database(conf.database_url, pool_size=conf.database.pool_size, echo=conf.database.echo)
        cloud = cls(conf=conf, db=db)
        if "identity" in conf.services.enabled:
            from onestack.identity.manager import IdentityManager

            cloud.services["identity"] = IdentityManager(conf, db)
        if "object_store" in conf.services.enabled:
            from onestack.object_store.manager import ObjectStoreManager

            cloud.services["object_store"] = ObjectStoreManager.from_config(conf, db)
        if "image" in conf.services.enabled:
            from onestack.image.manager import ImageManager

            cloud.services["image"] = ImageManager.from_config(conf, db)
        if "network" in conf.services.enabled:
            from onestack.network.manager import NetworkManager

            cloud.services["network"] = NetworkManager(conf, db)
        if "volume" in conf.services.enabled:
            from onestack.volume.manager import VolumeManager

            cloud.services["volume"] = VolumeManager(conf, db, image=cloud.services.get("image"),
                                                     object_store=cloud.services.get("object_store"))
        if "compute" in conf.services.enabled:
            from onestack.compute.manager import ComputeManager

            cloud.services["compute"] = ComputeManager(conf, db, image=cloud.services.get("image"),
                                                       network=cloud.services.get("network"),
                                                       volume=cloud.services.get("volume"))
        return cloud

    @property
    def identity(self) -> Any:
        return self.services["identity"]

    # ---- first start / every start -------------------------------------------------
    def prepare(self) -> dict[str, Any]:
        """Migrate, make keys, bootstrap, write clouds.yaml.  Idempotent."""
        self.conf.data_path.mkdir(parents=True, exist_ok=True)
        migrations.upgrade(self.conf.database_url)
        info: dict[str, Any] = {}
        if "identity" in self.services:
            from onestack.identity.bootstrap import bootstrap

            idm = self.identity
            idm.tokens.keys.initialize()
            idm.credentials.keys.initialize()
            result = bootstrap(self.conf, idm)
            info["admin_password"] = result.password
            info["generated"] = result.generated
            if result.password:
                self.write_clouds_yaml(result.password)
        if "network" in self.services:
            admin_project_id = None
            if "identity" in self.services:  # the public network belongs to the admin project
                with self.db.session() as s:
                    admin_project_id = self.identity.resource.project_by_name(
                        s, self.conf.bootstrap.admin_project, "default").id
            self.services["network"].bootstrap(admin_project_id)
        if "volume" in self.services:
            self.services["volume"].bootstrap()
        if "compute" in self.services:
            self.services["compute"].bootstrap()
        if "image" in self.services:
            self.services["image"].recover()
        return info

    def write_clouds_yaml(self, password: str) -> str:
        b = self.conf.bootstrap
        doc = {
            "clouds": {
                "onestack": {
                    "auth": {
                        "auth_url": self.conf.identity_url + "/v3",
                        "username": b.admin_username,
                        "password": password,
                        "project_name": b.admin_project,
                        "user_domain_name": "Default",
                        "project_domain_name": "Default",
                    },
                    "region_name": self.conf.region.name,
                    "identity_api_version": 3,
                    "interface": "public",
                }
            }
        }
        path = self.conf.data_path / "clouds.yaml"
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            yaml.safe_dump(doc, f, default_flow_style=False)
        os.replace(tmp, path)
        return str(path)

    # ---- the ASGI app -----------------------------------------------------------------
    def asgi(self) -> Starlette:
        routes: list[Any] = [Route("/", self._root, methods=["GET", "HEAD"])]
        if "identity" in self.services:
            from onestack.identity.api import routes as identity_routes

            svc = identity_routes.build(self.identity)
            routes.append(mount(MOUNTS["identity"], app=svc.app))
        if "object_store" in self.services:
            from onestack.object_store.api import routes as object_store_routes

            auth = self.identity.tokens.context_for if "identity" in self.services else None
            cached = self.identity.tokens.cached_context if "identity" in self.services else None
            swift = object_store_routes.build(self.services["object_store"], auth, cached)
            routes.append(mount(MOUNTS["object_store"], app=swift))
        if "image" in self.services:
            from onestack.image.api import routes as image_routes

            auth = self.identity.tokens.context_for if "identity" in self.services else None
            glance = image_routes.build(self.services["image"], auth)
            routes.append(mount(MOUNTS["image"], app=glance.app))
        if "compute" in self.services:
            from onestack.compute.api import routes as compute_routes

            auth = self.identity.tokens.context_for if "identity" in self.services else None
            routes.append(mount(MOUNTS["compute"], app=compute_routes.build(self.services["compute"], auth)))
        if "network" in self.services:
            from onestack.network.api import routes as network_routes

            auth = self.identity.tokens.context_for if "identity" in self.services else None
            routes.append(mount(MOUNTS["network"], app=network_routes.build(self.services["network"], auth).app))
        if "volume" in self.services:
            from onestack.volume.api import routes as volume_routes

            auth = self.identity.tokens.context_for if "identity" in self.services else None
            routes.append(mount(MOUNTS["volume"], app=volume_routes.build(self.services["volume"], auth).app))

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            # start in dependency order (network and volume before the compute
            # workers that plug ports and attach volumes), stop in reverse
            order = [s for s in ("object_store", "network", "volume", "compute") if s in self.services]
            for name in order:
                self.services[name].start()
            yield
            for name in reversed(order):
                self.services[name].stop()
            self.db.dispose()

        return Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: self._unrouted})

    async def _unrouted(self, request: Request, exc: Exception) -> Response:
        """A path no mount takes: a mount's pattern cannot match across a newline, so
        ``/identity/v3/users/%0A`` lands here.  Identity's callers still get Keystone's
        error body."""
        if request.url.path.startswith(MOUNTS["identity"] + "/"):
            from onestack.core.errors import NotFound, keystone_format

            return json_response(keystone_format(NotFound("The resource could not be found.")), 404)
        return Response("Not Found", status_code=404, media_type="text/plain")

    async def _root(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return json_response(
            {
                "onestack": __version__,
                "region": self.conf.region.name,
                "services": {s: base + MOUNTS[s] for s in self.services if s in MOUNTS},
            }
        )


OVERRIDES_ENV = "ONESTACK_CLI_OVERRIDES"


def load_config(overrides: dict[str, Any] | None = None) -> Config:
    """The configuration a worker process sees: file + env + the CLI's overrides."""
    merged = json.loads(os.environ.get(OVERRIDES_ENV, "{}"))
    if overrides:
        merged = config_mod._merge(merged, overrides)
    return config_mod.load(overrides=merged)


def create_app() -> Starlette:
    """uvicorn factory (``onestack.app:create_app``), used by every worker."""
    _die_with_parent()
    conf = load_config()
    http_protocol.set_window(conf.server.request_body_window)
    return Cloud.build(conf).asgi()


def _die_with_parent() -> None:
    """A uvicorn worker process ends when its supervisor dies, even by SIGKILL, so
    a restarted ``onestack serve`` never finds the old workers still serving."""
    import multiprocessing

    if multiprocessing.parent_process() is None or not os.path.exists("/proc/self"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the supervisor died before prctl
            os.kill(os.getpid(), signal.SIGTERM)
    except (OSError, AttributeError):
        LOG.debug("cannot set the parent-death signal", exc_info=True)
