"""Passwords (argon2), the session user, and the load-and-authorise helpers."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verifying against this keeps the response time of an unknown user like that of a wrong
# password, so log-in timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def safe_next(target: str | None) -> str:
    r"""Only a path on this site after log-in: never an open redirect (ASVS 5.1.5).

    Browsers drop tabs and newlines inside URLs and read a backslash as a slash, so
    `/\tevil`, `/\evil` and `//evil` all leave the site: anything but a plain path is refused."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return "/"
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target) or "\\" in target:
        return "/"
    if target.startswith("//"):
        return "/"
    return target
