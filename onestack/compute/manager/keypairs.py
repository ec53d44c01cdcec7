"""Key pairs: import (ssh or x509) and generation (ssh-rsa), per user."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from onestack.compute.manager.quotas import QuotaManager
from onestack.compute.models import KeyPair
from onestack.core.db import Database
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.core.retry import retry_transaction

NAME_RE = re.compile(r"^[a-zA-Z0-9 _.@-]+$")


def _md5_colons(data: bytes) -> str:
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def ssh_fingerprint(public_key: str) -> str:
    """Nova's fingerprint: MD5 of the key blob, colon separated; 400 if invalid."""
    try:
        key = serialization.load_ssh_public_key(public_key.strip().encode())
    except (ValueError, UnsupportedAlgorithm, IndexError) as e:
        raise BadRequest(f"Keypair data is invalid: failed to generate fingerprint ({e})") from None
    blob = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return _md5_colons(base64.b64decode(blob.split()[1]))


def x509_fingerprint(pem: str) -> str:
    try:
        cert = x509.load_pem_x509_certificate(pem.strip().encode())
    except ValueError:
        raise BadRequest("Keypair data is invalid: failed to generate fingerprint") from None
    digest = cert.fingerprint(hashes_sha1()).hex()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def hashes_sha1() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA1()  # noqa: S303 - upstream's x509 fingerprint is SHA-1


def generate(kind: str = "rsa") -> tuple[str, str]:
    """A new key: (private key PEM/OpenSSH, public key in OpenSSH format)."""
    if kind == "ed25519":
        key: Any = ed25519.Ed25519PrivateKey.generate()
        private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                    serialization.NoEncryption())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return private.decode(), public.decode() + " Generated-by-Nova"


def generate_x509(user_id: str) -> tuple[str, str]:
    """Nova's generate_winrm_x509_cert: a self-signed client certificate for
    ``CN=user_id`` (UPN ``user_id@localhost``), valid 10 years; the private key
    is the base64 PKCS#12 bundle (no password), the public key the PEM cert."""
    import datetime as dt

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user_id or "nova")])
    now = dt.datetime.now(dt.timezone.utc)
    upn = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
    utf8 = (user_id + "@localhost").encode()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(
            [x509.OtherName(upn, b"\x0c" + bytes([len(utf8)]) + utf8)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    bundle = pkcs12.serialize_key_and_certificates(None, key, cert, None, serialization.NoEncryption())
    return base64.b64encode(bundle).decode(), cert.public_bytes(serialization.Encoding.PEM).decode()


try:  # the exception moved between cryptography releases
    from cryptography.exceptions import UnsupportedAlgorithm
except ImportError:  # pragma: no cover
    UnsupportedAlgorithm = ValueError  # type: ignore[misc,assignment]


class KeyPairManager:
    def __init__(self, db: Database, quota: QuotaManager) -> None:
        self.db = db
        self.quota = quota

    def list(self, user_id: str, *, limit: int | None = None, marker: str | None = None) -> list[KeyPair]:
        q = sa.select(KeyPair).where(KeyPair.user_id == user_id).order_by(KeyPair.name)
        with self.db.session() as s:
            if marker is not None:
                if s.scalar(sa.select(KeyPair.id).where(KeyPair.user_id == user_id, KeyPair.name == marker)) is None:
                    raise BadRequest(f"marker [{marker}] not found")
                q = q.where(KeyPair.name > marker)
            if limit is not None:
                q = q.limit(limit)
            return list(s.scalars(q))

    def get(self, user_id: str, name: str) -> KeyPair:
        with self.db.session() as s:
            kp = s.scalar(sa.select(KeyPair).where(KeyPair.user_id == user_id, KeyPair.name == name))
            if kp is None:
                raise NotFound(f"Keypair {name} not found for user {user_id}")
            return kp

    def create(self, user_id: str, project_id: str, name: str, kind: str,
               public_key: str | None) -> tuple[KeyPair, str | None]:
        name = name.strip() if name else name
        if not name or len(name) > 255 or not NAME_RE.match(name):
            raise BadRequest("Keypair data is invalid: Keypair name contains unsafe characters")
        private = None
        if public_key is None and kind == "x509":
            private, public_key = generate_x509(user_id)
        elif public_key is None:
            private, public_key = generate()
            kind = "ssh"
        fingerprint = x509_fingerprint(public_key) if kind == "x509" else ssh_fingerprint(public_key)
        return self._insert(user_id, project_id, name, kind, public_key, fingerprint), private

    @retry_transaction
    def _insert(self, user_id: str, project_id: str, name: str, kind: str, public_key: str,
                fingerprint: str) -> KeyPair:
        """The quota check and the insert, one transaction under the user's quota lock
        (a concurrent create of the same name waits for it, then gets the 409)."""
        with self.quota.session() as s:
            self.quota.check_key_pairs(s, project_id, user_id)
            if s.scalar(sa.select(KeyPair.id).where(KeyPair.user_id == user_id, KeyPair.name == name)) is not None:
                raise Conflict(f"Key pair '{name}' already exists.")
            kp = KeyPair(user_id=user_id, name=name, type=kind, public_key=public_key.strip(),
                         fingerprint=fingerprint)
            s.add(kp)
            s.flush()
            return kp

    def delete(self, user_id: str, name: str) -> None:
        with self.db.session() as s:
            kp = s.scalar(sa.select(KeyPair).where(KeyPair.user_id == user_id, KeyPair.name == name))
            if kp is None:
                raise NotFound(f"Keypair {name} not found for user {user_id}")
            s.delete(kp)
