"""Built knowledge shared between machines through Redis, by build key.

Each machine has its own build cache (under its BOT_DATA_DIR) and its own knowledge folder,
which may hold something else by now, or nothing: a machine that sees a reload stamp whose
build it lacks must get that build, not make its own. The reloading machine publishes the
packed cache entry here before it writes the stamp; the others fetch it by the stamped key,
check its hash, and install it in their cache.

A blob is stored in chunks (Redis values are best kept to a few MB: one large value holds
the server's only thread for as long as it takes to send), with its description written
last, so a reader that finds the description finds every chunk. The builds of the last two
published keys are kept, the stamped one and the previous one (a machine still catching up
may be fetching it), and nothing expires by time: a long-lived deployment's stamped build
must still be there for a machine that starts a month later. A build larger than the cap
(BOT_SHARED_BUILD_MB) is not published, with a log line saying so; machines then build their
own folders as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, cast

from bot.state.redis import (
    KEY_PREFIX,
    SOCKET_TIMEOUT,
    redis_client,
    unavailable_as_store_error,
)

CHUNK_BYTES = 4 * 1024 * 1024
KEEP = 2  # published builds kept: the stamped one and the previous one
# a reply may be a 4 MB part: the store's 0.5 s is for requests, not for this; connecting
# keeps the store's limit, so an unreachable Redis costs a reload half a second, no more
TRANSFER_TIMEOUT = 10.0
BUILDS = "knowledge:builds"  # a list of the published keys, newest first

log = logging.getLogger(__name__)


class SharedBuildMissing(LookupError):
    """The shared store does not hold a whole, intact copy of the build; the message says
    why (never published, too large, pruned, evicted, damaged)."""


class SharedBuilds:
    def __init__(
        self,
        url: str,
        max_bytes: int,
        *,
        prefix: str = KEY_PREFIX,
        timeout: float = TRANSFER_TIMEOUT,
    ) -> None:
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.client = redis_client(url, timeout, connect_timeout=SOCKET_TIMEOUT)

    def _meta_key(self, key: str) -> str:
        return f"{self.prefix}knowledge:build:{key}"

    def _chunk_key(self, key: str, sha256: str, n: int) -> str:
        # the hash is in the name: two machines publishing one key (builds are not
        # byte-identical: the index archive carries times) never mix their chunks
        return f"{self.prefix}knowledge:build:{key}:{sha256[:16]}:{n}"

    def publish(self, key: str, blob: bytes, version: str) -> bool:
        """True when the shared store holds this build afterwards. StoreUnavailable when
        Redis cannot be reached."""
        if len(blob) > self.max_bytes:
            log.warning(
                "knowledge build not shared: larger than BOT_SHARED_BUILD_MB",
                extra={
                    "fields": {
                        "version": version,
                        "mb": round(len(blob) / 2**20, 3),
                        "limit_mb": round(self.max_bytes / 2**20, 3),
                        "then": "other machines build it from their own knowledge folders",
                    }
                },
            )
            return False
        sha256 = hashlib.sha256(blob).hexdigest()
        chunks = [blob[i : i + CHUNK_BYTES] for i in range(0, len(blob), CHUNK_BYTES)]
        meta = {"sha256": sha256, "bytes": len(blob), "chunks": len(chunks), "version": version}
        with unavailable_as_store_error():
            if self._intact(key):
                self._remember(key)  # the same build, published by another machine
                return True
            for n, chunk in enumerate(chunks):  # one chunk per round trip
                self.client.set(self._chunk_key(key, sha256, n), chunk)
            self.client.set(self._meta_key(key), json.dumps(meta))
            self._remember(key)
        log.info(
            "knowledge build shared",
            extra={"fields": {"version": version, "mb": round(len(blob) / 2**20, 2)}},
        )
        return True

    def holds(self, key: str) -> bool:
        """Whether a build of ``key`` is recorded here, in one round trip: a worker putting a
        lost version record back shares its build only when the store lacks it. Whether
        the copy is whole is checked when it is fetched. StoreUnavailable when Redis cannot
        be reached."""
        with unavailable_as_store_error():
            return bool(self.client.exists(self._meta_key(key)))

    def _intact(self, key: str) -> bool:
        """Whether the store holds a whole, unspoilt copy of ``key``: a copy damaged or cut
        short is published again by the next reload instead of being kept for good."""
        try:
            self.fetch(key)
        except SharedBuildMissing:
            return False
        return True

    def _remember(self, key: str) -> None:
        """Put ``key`` first in the list of published builds and drop those past KEEP."""
        pipe = self.client.pipeline(transaction=True)
        pipe.lrem(self.prefix + BUILDS, 0, key)
        pipe.lpush(self.prefix + BUILDS, key)
        pipe.lrange(self.prefix + BUILDS, KEEP, -1)
        pipe.ltrim(self.prefix + BUILDS, 0, KEEP - 1)
        stale = pipe.execute()[2]
        for old in (k.decode() for k in stale):
            meta = self._meta(old)
            names = [self._meta_key(old)]
            if meta is not None:
                names += [self._chunk_key(old, meta["sha256"], n) for n in range(meta["chunks"])]
            self.client.delete(*names)

    def _meta(self, key: str) -> dict[str, Any] | None:
        raw = self.client.get(self._meta_key(key))
        return None if raw is None else json.loads(raw)

    def fetch(self, key: str) -> bytes:
        """The published blob of ``key``, its size and hash checked; SharedBuildMissing
        (with the reason) when there is none to trust, StoreUnavailable when Redis cannot
        be reached."""
        with unavailable_as_store_error():
            meta = self._meta(key)
            if meta is None:
                raise SharedBuildMissing(
                    "the shared store does not hold this build (not published, too large, "
                    "or pruned)"
                )
            parts: list[bytes] = []
            for n in range(int(meta["chunks"])):
                part = self.client.get(self._chunk_key(key, meta["sha256"], n))
                if part is None:
                    raise SharedBuildMissing(f"part {n + 1} of the shared build is gone")
                parts.append(cast(bytes, part))  # the client returns bytes: no decoding set
        blob = b"".join(parts)
        if len(blob) != meta["bytes"] or hashlib.sha256(blob).hexdigest() != meta["sha256"]:
            raise SharedBuildMissing("the shared build does not match its hash")
        return blob

    def close(self) -> None:
        self.client.close()
