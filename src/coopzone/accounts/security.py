"""Password hashing (argon2), API token generation and hashing, CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def use_cheap_hashing() -> None:
    """Make password hashing cheap (tests only: the suite would spend most of its time in
    argon2). Hashes made this way still verify with the normal hasher and vice versa."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    _dummy_hash = None


_dummy_hash: str | None = None
TOKEN_PREFIX = "czt_"
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def prepare_dummy_hash() -> str:
    """The hash unknown names are checked against, made once with the current parameters."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def verify_dummy(password: str) -> bool:
    """A real argon2 verify against the dummy hash (never true), so a try for an unknown
    name costs what a try for a known one costs."""
    verify_password(prepare_dummy_hash(), password)
    return False


def new_session_key() -> str:
    """The only thing a login cookie carries: 256 random bits."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain SHA-256 is enough to store them.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected, given)
