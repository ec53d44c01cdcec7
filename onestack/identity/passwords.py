"""Password hashing (bcrypt, configurable cost) and the operator's password rules."""

from __future__ import annotations

import re

import bcrypt

from onestack.core.errors import BadRequest

MAX_PASSWORD_LENGTH = 4096


def _prepare(password: str) -> bytes:
    raw = password.encode("utf-8")
    # bcrypt reads at most 72 bytes; newer bcrypt releases refuse longer input.
    return raw[:72]


def hash_password(password: str, rounds: int) -> str:
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadRequest(f"Password is too long (over {MAX_PASSWORD_LENGTH} characters).")
    return bcrypt.hashpw(_prepare(password), bcrypt.gensalt(rounds)).decode()


def check_password(password: str, hashed: str | None) -> bool:
    if not hashed or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return bcrypt.checkpw(_prepare(password), hashed.encode())
    except ValueError:
        return False


def check_regex(password: str, regex: str | None, description: str | None) -> None:
    if regex and not re.match(regex, password):
        detail = description or f"must match {regex}"
        raise BadRequest(f"Password validation error: The password does not meet the requirements: {detail}.")
