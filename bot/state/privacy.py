"""OpenIDs are personal data: logs and stores only ever see a keyed hash of them."""

from __future__ import annotations

import hashlib
import hmac

from bot.state.base import StateStore, shared_secret

USER_KEY = "forumbot:user-hash-key"


def hash_user(user_id: str, key: str) -> str:
    """A stable pseudonym; without the key it cannot be linked back to the OpenID."""
    return hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()[:16]


def user_hash_key(store: StateStore) -> str:
    """The key OpenIDs are hashed with: random, made once and kept in the shared store, so
    every worker (and, with Redis, every machine) maps a user to the same pseudonym."""
    return shared_secret(store, USER_KEY)
