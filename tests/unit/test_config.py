"""Configuration: file + environment, validated with one clear line per bad value."""

from pathlib import Path

import pytest

from onestack.core import config


def test_defaults_need_no_file() -> None:
    c = config.load(environ={})
    assert c.region.name == "RegionOne"
    assert c.public_url == "http://127.0.0.1:5000"
    assert c.identity_url == "http://127.0.0.1:5000/identity"
    assert c.database_url.startswith("sqlite:///")


def test_file_then_environment(tmp_path: Path) -> None:
    f = tmp_path / "onestack.toml"
    f.write_text('[region]\nname = "tokyo"\n[server]\nport = 6000\npublic_url = "https://t.example.com/"\n')
    c = config.load(f, environ={"ONESTACK_SERVER__PORT": "7000"})
    assert c.region.name == "tokyo"
    assert c.server.port == 7000
    assert c.public_url == "https://t.example.com"
    assert c.identity_url == "https://t.example.com/identity"


def test_every_bad_value_is_named(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('[server]\nport = "abc"\nbogus = 1\n[identity]\npassword_hash_rounds = 99\n')
    with pytest.raises(config.ConfigError) as e:
        config.load(f, environ={"ONESTACK_DATABASE__URL": "ftp://x"})
    text = str(e.value)
    for where in ("server.port", "server.bogus", "identity.password_hash_rounds", "database.url"):
        assert where in text


def test_unparseable_file_and_unknown_service(tmp_path: Path) -> None:
    f = tmp_path / "broken.toml"
    f.write_text("[server\nport=")
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(f, environ={})
    with pytest.raises(config.ConfigError, match="unknown services"):
        config.load(environ={"ONESTACK_SERVICES__ENABLED": "identity,warp-drive"})
