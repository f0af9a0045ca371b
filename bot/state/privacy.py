"""OpenIDs are personal data: logs and stores only ever see a keyed hash of them."""

from __future__ import annotations

import hashlib
import hmac


def hash_user(user_id: str, key: str) -> str:
    """A stable pseudonym; without the key it cannot be linked back to the OpenID."""
    return hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()[:16]
