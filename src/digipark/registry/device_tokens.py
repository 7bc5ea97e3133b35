"""Device tokens: a device's secret for the ingest (topic, MQTT user name, HTTP path).

A token is issued at random, shown once (in the answer that creates or rotates it) and stored only as its
SHA-256 digest (`Device.token_hash`), as API tokens are. A presented token is found by its digest; the digests
of the tokens recently presented are kept so a busy ingest hashes each token once. A token is 32 random URL-safe
characters, so an unsalted fast hash is enough: nobody can guess one from its digest.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

TOKEN_BYTES = 24  # 32 URL-safe characters
HINT_LENGTH = 4  # characters of a token shown where it must not be readable (dead letters)
DIGEST_CACHE_SIZE = 1 << 16


def new_device_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


@lru_cache(maxsize=DIGEST_CACHE_SIZE)
def token_digest(token: str) -> str:
    """SHA-256 hex digest of a presented token: what `Device.token_hash` holds."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_hint(token: str) -> str:
    """The first characters of a token and an ellipsis: enough to tell tokens apart, never one that works."""
    return token[:HINT_LENGTH] + "…"
