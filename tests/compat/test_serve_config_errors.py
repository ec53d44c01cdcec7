"""A bad configuration stops ``onestack serve`` before it binds a port: a non-zero exit
and one readable line per bad value, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.compat.conftest import ONESTACK, clean_env, free_port

pytestmark = pytest.mark.compat


def _serve(tmp_path: Path, *args: str, port: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    cmd = [ONESTACK, *args, "serve", "--data-dir", str(tmp_path / "data")]
    if port:  # (--port would override ONESTACK_SERVER__PORT)
        cmd += ["--port", str(free_port())]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          env=clean_env(ONESTACK_ADMIN_PASSWORD="x", **env))


def _problem_lines(p: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.strip() for line in p.stderr.splitlines() if line.startswith("  ")]


def test_bad_environment_values(tmp_path: Path) -> None:
    p = _serve(tmp_path, port=False, ONESTACK_SERVER__PORT="abc", ONESTACK_SERVER__WORKERS="0")
    assert p.returncode != 0
    assert "Traceback" not in p.stderr + p.stdout
    assert "invalid configuration" in p.stderr
    lines = _problem_lines(p)
    assert len(lines) == 2, p.stderr
    assert any(line.startswith("server.port:") and "'abc'" in line for line in lines), p.stderr
    assert any(line.startswith("server.workers:") for line in lines), p.stderr
    assert not (tmp_path / "data" / "clouds.yaml").exists()


def test_unknown_key_in_toml(tmp_path: Path) -> None:
    conf = tmp_path / "onestack.toml"
    conf.write_text('[server]\nport = 5000\nprot = 5001\n\n[identity]\ntoken_expiration = "soon"\n')
    p = _serve(tmp_path, "--config", str(conf))
    assert p.returncode != 0
    assert "Traceback" not in p.stderr + p.stdout
    lines = _problem_lines(p)
    assert len(lines) == 2, p.stderr
    assert any(line.startswith("server.prot:") for line in lines), p.stderr
    assert any(line.startswith("identity.token_expiration:") for line in lines), p.stderr


def test_unreadable_toml(tmp_path: Path) -> None:
    conf = tmp_path / "broken.toml"
    conf.write_text("[server\nport = 1\n")
    p = _serve(tmp_path, "--config", str(conf))
    assert p.returncode != 0
    assert "Traceback" not in p.stderr and "not valid TOML" in p.stderr
    missing = _serve(tmp_path, "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr and "not found" in missing.stderr
