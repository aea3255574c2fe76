"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import secrets
import unicodedata
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from octag.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256  # hashing cost grows with input; nobody types more

# argon2-cffi's defaults follow RFC 9106's second recommendation (argon2id, t=3, m=64 MiB, p=4).
hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so both paths cost the same."""
    return hasher.hash(secrets.token_urlsafe(16))


@cache
def common_passwords() -> frozenset[str]:
    text = files("octag.auth").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def check_password_policy(password: str, email: str) -> None:
    """Raises InvalidInput(code="weak_password") with the reason."""
    text = unicodedata.normalize("NFKC", password)
    if len(text) < MIN_LENGTH:
        raise _weak(f"Use at least {MIN_LENGTH} characters.")
    if len(text) > MAX_LENGTH:
        raise _weak(f"Use at most {MAX_LENGTH} characters.")
    lowered = text.casefold()
    if lowered in common_passwords():
        raise _weak("That password is one of the most common ones; choose another.")
    local_part = email.split("@", 1)[0].casefold()
    if lowered in (email.casefold(), local_part):
        raise _weak("The password must not be your email address.")


def _weak(message: str) -> InvalidInput:
    return InvalidInput(message, code="weak_password")
