"""``onestack``: serve | worker | db | bootstrap | keys."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

from onestack.core.config import ConfigError


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    o: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        o["data_dir"] = args.data_dir
    server = {k: getattr(args, k) for k in ("host", "port", "workers") if getattr(args, k, None) is not None}
    if server:
        o["server"] = server
    return o


def _setup(args: argparse.Namespace) -> tuple[Any, Any]:
    from onestack.app import OVERRIDES_ENV, Cloud, load_config

    if args.config:
        os.environ["ONESTACK_CONFIG"] = os.path.abspath(args.config)
    o = _overrides(args)
    if "data_dir" in o:
        o["data_dir"] = os.path.abspath(o["data_dir"])
    os.environ[OVERRIDES_ENV] = json.dumps(o)
    conf = load_config()
    return conf, Cloud.build(conf)


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from onestack.core import http_protocol

    conf, cloud = _setup(args)
    http_protocol.set_window(conf.server.request_body_window)
    info = cloud.prepare()
    print(f"onestack: region {conf.region.name}, data in {conf.data_path}", flush=True)
    print(f"onestack: identity at {conf.identity_url}/v3", flush=True)
    if info.get("generated"):
        print(f"onestack: admin password (generated): {info['admin_password']}", flush=True)
    if info.get("admin_password"):
        print(f"onestack: wrote {conf.data_path / 'clouds.yaml'} (cloud 'onestack')", flush=True)
    node = None
    if conf.server.workers > 1:
        # each worker builds its own Cloud from the same configuration; they are API
        # processes only: this process (uvicorn's supervisor) is the compute node and
        # they reach it through the cross-process bus (docs/adr/0005)
        from onestack.app import OVERRIDES_ENV

        cloud.db.dispose()
        if "compute" in cloud.services and conf.compute.worker:
            node = cloud.services["compute"]
            node.start()
            print(f"onestack: compute node {conf.compute.host} in the supervisor "
                  f"(pid {os.getpid()}), bus {node.bus_url}", flush=True)
        o = json.loads(os.environ.get(OVERRIDES_ENV, "{}"))
        o.setdefault("compute", {})["worker"] = False
        os.environ[OVERRIDES_ENV] = json.dumps(o)
        target: Any = "onestack.app:create_app"
        extra: dict[str, Any] = {"factory": True, "workers": conf.server.workers}
    else:
        target, extra = cloud.asgi(), {}
    # uvicorn shuts down gracefully on SIGTERM and then re-raises it (exit status -15);
    # SIGTERM is how service managers stop a service, so it ends in status 0
    signal.signal(signal.SIGTERM, _terminated)
    try:
        uvicorn.run(
            target,
            **extra,
            host=conf.server.host,
            port=conf.server.port,
            log_level=conf.server.log_level,
            access_log=conf.server.log_level == "debug",
            timeout_graceful_shutdown=10,
            http=http_protocol.BodyWindowProtocol,
        )
    finally:
        if node is not None:
            node.stop()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """The compute node side only (driver + bus consumer), for a host whose API
    runs elsewhere: needs a bus that crosses processes (rabbit:// or db://)."""
    import threading

    from onestack.compute.manager import HostBusy

    conf, cloud = _setup(args)
    if "compute" not in cloud.services:
        print("onestack worker: the compute service is not enabled", file=sys.stderr)
        return 2
    cm = cloud.services["compute"]
    if cm.bus_url.startswith("local"):
        print("onestack worker: compute.bus_url is local://, which does not cross processes; "
              "set ONESTACK_COMPUTE__BUS_URL=rabbit://user:pass@host:5672/ (or db:// with a "
              "shared database)", file=sys.stderr)
        return 2
    from onestack.core import migrations

    conf.data_path.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(conf.database_url)
    try:
        cm.start()
    except HostBusy as e:
        print(f"onestack worker: {e}", file=sys.stderr)
        return 1
    print(f"onestack worker: compute host {cm.conf.compute.host} (driver {conf.compute.driver}) "
          f"on {cm.bus_url.split('@')[-1]}", flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    try:
        done.wait()
    finally:
        cm.stop()
        cloud.db.dispose()
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from onestack.core import migrations

    conf, _ = _setup(args)
    if args.action == "upgrade":
        migrations.upgrade(conf.database_url)
        print("database at the newest revision")
    else:
        migrations.current(conf.database_url)
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    _, cloud = _setup(args)
    info = cloud.prepare()
    if info.get("generated"):
        print(f"admin password (generated): {info['admin_password']}")
    print("bootstrap complete")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    _, cloud = _setup(args)
    keys = cloud.identity.tokens.keys
    if args.action == "init":
        print("created" if keys.initialize() else "already initialised", keys.path)
    else:
        keys.initialize()
        n = keys.rotate()
        print(f"rotated: key {n} is now primary in {keys.path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="onestack", description="An OpenStack-API-compatible cloud in one process.")
    p.add_argument("--config", help="TOML config file (or ONESTACK_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--data-dir", help="where the database, keys and bytes live")
        sp.add_argument("--config", default=argparse.SUPPRESS, help="TOML config file")

    s = sub.add_parser("serve", help="start the whole cloud in the foreground")
    common(s)
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=int)
    s.set_defaults(func=cmd_serve)

    w = sub.add_parser("worker", help="run only the compute node side (driver + bus consumer) of this host")
    common(w)
    w.set_defaults(func=cmd_worker)

    d = sub.add_parser("db", help="database migrations")
    common(d)
    d.add_argument("action", choices=["upgrade", "current"])
    d.set_defaults(func=cmd_db)

    b = sub.add_parser("bootstrap", help="create the admin user, roles and catalog")
    common(b)
    b.set_defaults(func=cmd_bootstrap)

    k = sub.add_parser("keys", help="Fernet token keys")
    common(k)
    k.add_argument("action", choices=["init", "rotate"])
    k.set_defaults(func=cmd_keys)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as e:
        print(f"onestack: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
