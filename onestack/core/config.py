"""Configuration: a TOML file plus ``ONESTACK_<SECTION>__<KEY>`` environment variables.

Everything is validated at start; each bad value gets its own line in the error.
Settings a second region needs (its name, the public URL it advertises, where the
identity service lives) are here from the start.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ALL_SERVICES = ("identity", "compute", "image", "network", "volume", "object_store", "dns")
IMPLEMENTED_SERVICES = ("identity", "object_store", "image", "compute", "network", "volume")
# what a cloud runs with no configuration (with the fake/noop drivers unless configured)
DEFAULT_SERVICES = ("identity", "object_store", "image", "compute", "network", "volume")


class ConfigError(Exception):
    """Raised with a readable, multi-line explanation of every bad value."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(5000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    # The base URL clients reach this process at; the catalog is built from it.
    public_url: str | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # how much of a request body is read ahead of the service, per connection
    # (onestack/core/http_protocol.py): big uploads stream at the speed of the disk and the
    # hashing, not of uvicorn's 64 KiB pause/resume cycle
    request_body_window: int = Field(4 * 1024 * 1024, ge=64 * 1024, le=256 * 1024 * 1024)

    @field_validator("public_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/") if v else v


class RegionConfig(_Section):
    name: str = Field("RegionOne", min_length=1, max_length=255)


class DatabaseConfig(_Section):
    # sqlite:///path, mysql+pymysql://..., postgresql+psycopg://...
    url: str | None = None
    pool_size: int = Field(5, ge=1)
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _scheme(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not v.startswith(("sqlite:", "mysql", "mariadb", "postgresql")):
            raise ValueError("must be a sqlite://, mysql+pymysql:// or postgresql+psycopg:// URL")
        return v


class ServicesConfig(_Section):
    enabled: list[str] = Field(default_factory=lambda: list(DEFAULT_SERVICES))

    @field_validator("enabled")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = [s for s in v if s not in ALL_SERVICES]
        if unknown:
            raise ValueError(f"unknown services {unknown}; known: {list(ALL_SERVICES)}")
        missing = [s for s in v if s not in IMPLEMENTED_SERVICES]
        if missing:
            raise ValueError(f"services not implemented yet: {missing}")
        return v


class IdentityConfig(_Section):
    # "local": this process serves and owns identity.  "remote": another region
    # does (``url``); this region validates tokens locally with the shared keys.
    mode: Literal["local", "remote"] = "local"
    url: str | None = None
    token_expiration: int = Field(3600, ge=60, description="seconds")
    allow_expired_window: int = Field(48 * 3600, ge=0)
    key_repository: str | None = None
    max_active_keys: int = Field(3, ge=2)
    password_hash_rounds: int = Field(12, ge=4, le=31)
    lockout_failure_attempts: int = Field(0, ge=0)
    lockout_duration: int = Field(1800, ge=1, description="seconds")
    unique_last_password_count: int = Field(0, ge=0)
    minimum_password_age: int = Field(0, ge=0, description="days")
    password_expires_days: int = Field(0, ge=0, description="0 = never")
    change_password_upon_first_use: bool = False
    password_regex: str | None = None
    password_regex_description: str | None = None
    list_limit: int | None = Field(None, ge=1)
    policy_file: str | None = None
    cache_ttl: float = Field(5.0, ge=0)


class ObjectStoreConfig(_Section):
    # Accounts are ``/v1/{reseller_prefix}{project_id}``.
    reseller_prefix: str = Field("AUTH_", min_length=1, max_length=32)
    driver: Literal["file", "memory"] = "file"
    data_path: str | None = Field(None, description="default: <data_dir>/object-store")
    max_file_size: int = Field(5 * 1024**3, ge=1)
    container_listing_limit: int = Field(10000, ge=1)
    account_listing_limit: int = Field(10000, ge=1)
    max_manifest_segments: int = Field(1000, ge=1)
    # seconds between passes of the object expirer (X-Delete-At); 0 = no expirer
    expirer_interval: float = Field(300.0, ge=0)


class ComputeConfig(_Section):
    # "fake": in memory, instant; "qemu": real guests (onestack.compute.drivers.qemu)
    driver: str = Field("fake", pattern=r"^[a-z][a-z0-9_]*$")
    # the host name this process's worker registers (default: "onestack")
    host: str = Field("onestack", min_length=1, max_length=255)
    availability_zone: str = Field("nova", min_length=1, max_length=255)
    # fake driver only: how many fake hosts this process runs (scheduler tests)
    fake_hosts: int = Field(1, ge=1, le=64)
    # "local://" (embedded: in process; the db:// queue under `serve --workers N`),
    # "db://" (a queue table in the shared database) or "rabbit://user:pass@host:5672/"
    bus_url: str = "local://"
    # run the node side (worker) in this process
    worker: bool = True
    state_path: str | None = Field(None, description="default: <data_dir>/compute")
    policy_file: str | None = None


class ImageConfig(_Section):
    driver: Literal["file", "memory"] = "file"
    data_path: str | None = Field(None, description="default: <data_dir>/images")
    # upstream's image_size_cap (1 TiB)
    max_image_size: int = Field(1024**4, ge=1)
    list_limit_default: int = Field(25, ge=1)
    list_limit_max: int = Field(1000, ge=1)
    # the multihash of image data (``os_hash_algo``/``os_hash_value``), as Glance's
    # [DEFAULT] hashing_algorithm; the MD5 ``checksum`` is always computed too
    hashing_algorithm: Literal["sha512", "sha384", "sha256", "sha3_512", "sha3_256", "blake2b"] = "sha512"
    property_quota: int = Field(128, ge=0)
    tag_quota: int = Field(128, ge=0)
    member_quota: int = Field(128, ge=0)
    import_methods: list[Literal["glance-direct", "web-download"]] = Field(
        default_factory=lambda: ["glance-direct", "web-download"]
    )
    # web-download: what URLs may be fetched (upstream's [import_filtering_opts]);
    # an empty allowed list allows every value
    web_download_allowed_schemes: list[str] = Field(default_factory=lambda: ["http", "https"])
    web_download_allowed_ports: list[int] = Field(default_factory=lambda: [80, 443])
    web_download_disallowed_hosts: list[str] = Field(default_factory=list)
    web_download_timeout: float = Field(60.0, gt=0)
    policy_file: str | None = None


class NetworkConfig(_Section):
    # "noop": API only, nothing on the host; "linux": bridges, namespaces, dnsmasq, nftables
    driver: str = Field("noop", pattern=r"^[a-z][a-z0-9_]*$")
    # the external network a new cloud starts with (as devstack's ``public``)
    public_network: str = Field("public", min_length=1, max_length=255)
    public_cidr: str = "172.24.4.0/24"
    public_gateway: str | None = Field(None, description="default: the first address of public_cidr")
    # VXLAN between compute hosts: this host's underlay address (None: single host)
    vxlan_local_ip: str | None = None
    vxlan_port: int = Field(4789, ge=1, le=65535)
    global_physnet_mtu: int = Field(1500, ge=68, le=65535)
    dns_domain: str = "openstacklocal."
    state_path: str | None = Field(None, description="default: <data_dir>/network")
    policy_file: str | None = None


class VolumeConfig(_Section):
    # "fake": in memory; "file": qcow2/raw files via qemu-img
    driver: str = Field("fake", pattern=r"^[a-z][a-z0-9_]*$")
    data_path: str | None = Field(None, description="default: <data_dir>/volumes")
    default_volume_type: str = Field("__DEFAULT__", min_length=1, max_length=255)
    availability_zone: str = Field("nova", min_length=1, max_length=255)
    backend_name: str = Field("file", min_length=1, max_length=255)
    policy_file: str | None = None


class BootstrapConfig(_Section):
    admin_username: str = "admin"
    admin_project: str = "admin"
    admin_password: str | None = None


class Config(_Section):
    data_dir: str = "./data"
    server: ServerConfig = Field(default_factory=ServerConfig)
    region: RegionConfig = Field(default_factory=RegionConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    services: ServicesConfig = Field(default_factory=ServicesConfig)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    bootstrap: BootstrapConfig = Field(default_factory=BootstrapConfig)
    image: ImageConfig = Field(default_factory=ImageConfig)
    object_store: ObjectStoreConfig = Field(default_factory=ObjectStoreConfig)
    compute: ComputeConfig = Field(default_factory=ComputeConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    volume: VolumeConfig = Field(default_factory=VolumeConfig)

    # ---- derived values -------------------------------------------------
    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def public_url(self) -> str:
        if self.server.public_url:
            return self.server.public_url
        host = self.server.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{self.server.port}"

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_path / 'onestack.db'}"

    @property
    def identity_url(self) -> str:
        """Where clients authenticate (the auth_url without /v3)."""
        return (self.identity.url or f"{self.public_url}/identity").rstrip("/")

    @property
    def key_repository(self) -> Path:
        return Path(self.identity.key_repository or self.data_path / "fernet-keys")


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith("ONESTACK_") or "__" not in key:
            continue
        section, _, name = key[len("ONESTACK_"):].lower().partition("__")
        parsed: Any = value
        if section == "services" and name == "enabled":
            parsed = [s.strip() for s in value.split(",") if s.strip()]
        out.setdefault(section, {})[name] = parsed
    if "ONESTACK_DATA_DIR" in environ:
        out["data_dir"] = environ["ONESTACK_DATA_DIR"]
    if "ONESTACK_ADMIN_PASSWORD" in environ:
        out.setdefault("bootstrap", {})["admin_password"] = environ["ONESTACK_ADMIN_PASSWORD"]
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(merged.get(k), dict):
            merged[k] = _merge(merged[k], v)
        else:
            merged[k] = v
    return merged


def load(
    path: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Read the file (if any), apply the environment, then explicit overrides."""
    data: dict[str, Any] = {}
    if path is None:
        path = (environ or os.environ).get("ONESTACK_CONFIG")
    if path:
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except FileNotFoundError:
            raise ConfigError(f"config file {path}: not found") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"config file {path}: not valid TOML: {e}") from None
    data = _merge(data, _env_overrides(dict(environ if environ is not None else os.environ)))
    data = _merge(data, overrides or {})
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            where = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {where}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None
