"""JWT signing keys: an Ed25519 key set in Secrets Manager, cached per process.

The secret holds seeds, not keys, so CloudFormation's GenerateSecretString can create it:
`{"kid": "k1", "seed": "..."}`, or after a rotation `{"keys": [{"kid", "seed"}, ...]}` with the
current key first. Verification accepts every key in the set (current and previous).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from octag.aws import client
from octag.config import get_settings

MIN_SEED_LENGTH = 32
KEEP_KEYS = 2  # current + previous: tokens signed just before a rotation stay valid
_REFRESH_AT_MOST_EVERY = 10.0  # seconds; an unknown kid must not hammer Secrets Manager


class KeySetError(RuntimeError):
    """The signing-key secret is missing or malformed (a deployment problem, not a client one)."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


@dataclass(frozen=True)
class KeySet:
    current: SigningKey
    by_kid: dict[str, SigningKey]


def derive_key(kid: str, seed: str) -> SigningKey:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"octag-jwt:{kid}".encode()).derive(
        seed.encode()
    )
    return SigningKey(kid, Ed25519PrivateKey.from_private_bytes(raw))


def _entries(secret_string: str) -> list[dict[str, str]]:
    try:
        doc = json.loads(secret_string)
    except json.JSONDecodeError:
        raise KeySetError("the signing-key secret is not JSON") from None
    entries = doc.get("keys", [doc]) if isinstance(doc, dict) else None
    if not entries or not all(
        isinstance(e, dict) and e.get("kid") and len(str(e.get("seed", ""))) >= MIN_SEED_LENGTH
        for e in entries
    ):
        raise KeySetError(
            f'the signing-key secret needs {{"kid", "seed"}} entries (seed >= {MIN_SEED_LENGTH})'
        )
    return [{"kid": str(e["kid"]), "seed": str(e["seed"])} for e in entries]


def parse_key_set(secret_string: str) -> KeySet:
    keys = [derive_key(e["kid"], e["seed"]) for e in _entries(secret_string)]
    return KeySet(current=keys[0], by_kid={k.kid: k for k in keys})


class KeySetCache:
    """The key set of one secret, re-read after `ttl` seconds or on an unknown `kid`."""

    def __init__(self, secret_id: str, ttl: float) -> None:
        self.secret_id, self.ttl = secret_id, ttl
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._loaded_at = 0.0

    def get(self) -> KeySet:
        with self._lock:
            if self._keys is None or time.monotonic() - self._loaded_at > self.ttl:
                self._load()
            assert self._keys is not None
            return self._keys

    def find(self, kid: str) -> SigningKey | None:
        key = self.get().by_kid.get(kid)
        if key is None:
            with self._lock:
                if time.monotonic() - self._loaded_at > _REFRESH_AT_MOST_EVERY:
                    self._load()  # a rotation may have happened since we cached
                assert self._keys is not None
                key = self._keys.by_kid.get(kid)
        return key

    def _load(self) -> None:
        try:
            value = client("secretsmanager").get_secret_value(SecretId=self.secret_id)["SecretString"]
        except Exception as exc:
            raise KeySetError(f"cannot read the signing-key secret {self.secret_id!r}: {exc}") from exc
        self._keys = parse_key_set(value)
        self._loaded_at = time.monotonic()


_cache_lock = threading.Lock()
_caches: dict[str, KeySetCache] = {}


def signing_keys() -> KeySetCache:
    settings = get_settings()
    if not settings.jwt_keys_secret_id:
        raise KeySetError("JWT_KEYS_SECRET_ID is not set")
    with _cache_lock:
        if settings.jwt_keys_secret_id not in _caches:
            _caches[settings.jwt_keys_secret_id] = KeySetCache(
                settings.jwt_keys_secret_id, settings.signing_key_cache_ttl
            )
        return _caches[settings.jwt_keys_secret_id]


def rotate_keys(secret_id: str) -> str:
    """Make a new current key, keep the previous one for verification; returns the new kid."""
    sm = client("secretsmanager")
    entries = _entries(sm.get_secret_value(SecretId=secret_id)["SecretString"])
    kid = f"k{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
    entries = [{"kid": kid, "seed": secrets.token_urlsafe(48)}, *entries][:KEEP_KEYS]
    sm.put_secret_value(SecretId=secret_id, SecretString=json.dumps({"keys": entries}))
    return kid
