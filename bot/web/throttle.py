"""One throttle for every admin credential: wrong tokens, on the login page or in a Bearer
header, count against the client's address in the same window, and every failure is
logged once, without the token.

A try is counted before its credential is checked (one atomic increment: in Redis with
BOT_REDIS_URL, so every machine counts together, else on this machine's disk), so a burst
of simultaneous guesses gets no more 401s than the limit. Past the limit the address is
locked out: a wrong credential gets 429 and is not told apart from any other. The right
one is still let in when the token is long enough that guessing it is hopeless
(STRONG_TOKEN characters): otherwise anyone could lock the admin out by sending wrong tokens
from the admin's address (one NAT, one proxy). Letting it in means every credential is
still compared during a lockout, so the lockout no longer bounds the guesses compared; only
the token's length makes that safe, and a shorter token is refused during a lockout too.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from flask import request
from limits import parse

from bot.state.attempts import Attempts
from bot.web.services import services

FAILED_ADMIN_AUTH = parse("10/15minutes")  # per client address, logins and tokens together
NAMESPACE = "admin-auth"
# characters of BOT_ADMIN_TOKEN from which a lockout still lets the right token in: 32
# random URL-safe characters are 192 bits, out of reach of any number of online guesses
STRONG_TOKEN = 32
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    status: int  # 200 the right token, 401 a wrong one, 429 locked out
    retry_after: int | None = None  # seconds, with 429

    @property
    def ok(self) -> bool:
        return self.status == 200


def _attempts() -> Attempts:
    return services().admin_failures


def _remote() -> str:
    return request.remote_addr or "unknown"


def token_matches(given: str, expected: str) -> bool:
    """Compared as SHA-256 digests, in constant time: neither the content nor the length
    of the token leaks through the time a comparison takes."""
    if not expected:
        return False
    digest = hashlib.sha256
    return hmac.compare_digest(digest(given.encode()).digest(), digest(expected.encode()).digest())


def check(given: str | None, how: str) -> Verdict:
    """Count one try for this address, then compare ``given`` (None: no credential sent)
    with BOT_ADMIN_TOKEN; ``how`` (login, bearer) goes into the log line of a failure.

    The count is raised, then compared (one atomic increment): checking first and counting
    after a failure let a burst of simultaneous guesses all pass the check before any was
    counted. A right credential gives its try back, so admins who get it right are never
    counted.
    """
    expected = services().config.admin_token
    attempts, remote = _attempts(), _remote()
    key = f"{NAMESPACE}/{remote}"
    counted = attempts.hit(key)
    locked = counted.count > FAILED_ADMIN_AUTH.amount
    right = token_matches(given or "", expected)  # compared whether locked or not
    if right and (not locked or len(expected) >= STRONG_TOKEN):
        attempts.give_back(key, counted)
        return Verdict(200)
    if locked:
        log.warning(
            "admin authentication throttled",
            extra={"fields": {"remote": remote, "how": how, "shared": counted.shared}},
        )
        return Verdict(429, max(1, int(counted.reset_in)))
    log.warning(
        "admin authentication failed",
        extra={"fields": {"remote": remote, "how": how, "path": request.path}},
    )
    return Verdict(401)
