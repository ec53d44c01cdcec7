"""Fernet key repository and token (de)serialisation.

Keys rotate as upstream's do: key ``0`` is staged (next to become primary), the
highest number is primary (signs new tokens), the rest are secondary (still
validate).  Any process or region holding the same directory validates tokens
without a database.
"""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path
from typing import Any

import msgpack
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

VERSION = 1


class KeyRepository:
    def __init__(self, path: Path, max_active_keys: int = 3) -> None:
        self.path = Path(path)
        self.max_active_keys = max_active_keys
        self._loaded: tuple[float, MultiFernet] | None = None

    def _key_files(self) -> dict[int, Path]:
        out = {}
        if self.path.is_dir():
            for p in self.path.iterdir():
                if p.name.isdigit():
                    out[int(p.name)] = p
        return out

    def initialize(self) -> bool:
        """Create the repository with a staged and a primary key; False if it exists."""
        if self._key_files():
            return False
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._write(0, Fernet.generate_key())
        self.rotate()
        return True

    def _write(self, n: int, key: bytes) -> None:
        tmp = self.path / f".{n}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path / str(n))

    def rotate(self) -> int:
        """Promote the staged key to primary, stage a new one, drop the oldest."""
        files = self._key_files()
        if 0 not in files:
            raise RuntimeError(f"key repository {self.path} is not initialised")
        new_primary = max(files) + 1
        os.replace(files[0], self.path / str(new_primary))
        self._write(0, Fernet.generate_key())
        files = self._key_files()
        secondaries = sorted(k for k in files if k not in (0, new_primary))
        while len(files) > self.max_active_keys and secondaries:
            old = secondaries.pop(0)
            files.pop(old).unlink()
        self._loaded = None
        return new_primary

    def fernet(self) -> MultiFernet:
        mtime = self.path.stat().st_mtime if self.path.exists() else 0.0
        if self._loaded is None or self._loaded[0] != mtime:
            files = self._key_files()
            if not files:
                raise RuntimeError(f"no Fernet keys in {self.path}; run `onestack keys rotate`")
            # primary first: MultiFernet encrypts with the first key
            order = sorted(files, reverse=True)
            keys = [Fernet(files[n].read_bytes().strip()) for n in order]
            self._loaded = (mtime, MultiFernet(keys))
        return self._loaded[1]


def _pack_id(value: str | None) -> bytes | str | None:
    """UUID hex ids travel as 16 bytes (keeps tokens short), other ids as text."""
    if value is None:
        return None
    if len(value) == 32:
        try:
            return uuid.UUID(hex=value).bytes
        except ValueError:
            pass
    return value


def _unpack_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return uuid.UUID(bytes=value).hex
    return str(value)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


METHOD_BITS = {"password": 1, "token": 2, "application_credential": 4, "totp": 8}


def _methods_to_int(methods: list[str]) -> int:
    return sum(METHOD_BITS[m] for m in set(methods) if m in METHOD_BITS)


def _int_to_methods(n: int) -> list[str]:
    return [m for m, bit in METHOD_BITS.items() if n & bit]


def encode(keys: KeyRepository, payload: dict[str, Any]) -> str:
    """payload: user_id, methods, project_id|domain_id|system, expires_at and
    issued_at (float seconds since the epoch), audit_ids, app_cred_id, trust_id."""
    packed = msgpack.packb(
        [
            VERSION,
            _pack_id(payload["user_id"]),
            _methods_to_int(payload["methods"]),
            _pack_id(payload.get("project_id")),
            _pack_id(payload.get("domain_id")),
            payload.get("system"),
            payload["expires_at"],
            [_unb64(a) for a in payload["audit_ids"]],
            _pack_id(payload.get("app_cred_id")),
            int(payload["issued_at"] * 1_000_000),
            _pack_id(payload.get("trust_id")),
        ]
    )
    token = keys.fernet().encrypt_at_time(packed, int(payload["issued_at"]))
    # Fernet output is urlsafe base64 already; drop the padding as upstream does.
    return token.decode().rstrip("=")


class TokenInvalid(Exception):
    pass


def decode(keys: KeyRepository, token: str) -> dict[str, Any]:
    if len(token) > 1024 or not token.isascii():
        raise TokenInvalid("malformed")
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = keys.fernet().decrypt(padded.encode())
        data = msgpack.unpackb(raw)
    except (InvalidToken, ValueError, TypeError, msgpack.UnpackException):
        raise TokenInvalid("invalid") from None
    # 11 fields since trusts (the trust id last); 10 before
    if not isinstance(data, list) or len(data) not in (10, 11) or data[0] != VERSION:
        raise TokenInvalid("unknown version")
    _, user, methods, project, domain, system, expires_at, audits, app_cred, issued = data[:10]
    trust = data[10] if len(data) > 10 else None
    return {
        "user_id": _unpack_id(user),
        "methods": _int_to_methods(methods),
        "project_id": _unpack_id(project),
        "domain_id": _unpack_id(domain),
        "system": system,
        "expires_at": expires_at,
        "issued_at": issued / 1_000_000,
        "audit_ids": [_b64(a) for a in audits],
        "app_cred_id": _unpack_id(app_cred),
        "trust_id": _unpack_id(trust),
    }
