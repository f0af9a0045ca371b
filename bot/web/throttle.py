"""One throttle for every admin credential: wrong tokens, on the login page or in a Bearer
header, count against the client's address in the same window, and every failure is
logged once, without the token. A try is counted before its credential is checked, so a
burst of simultaneous guesses gets no more checks than the limit. Counted on disk
(``machine_counters``), so every worker of the machine sees the same attempts."""

from __future__ import annotations

import logging
import time

from flask import request
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from bot.state.counters import DiskcacheStorage
from bot.web.services import services

FAILED_ADMIN_AUTH = parse("10/15minutes")  # per client address, logins and tokens together
NAMESPACE = "admin-auth"
log = logging.getLogger(__name__)


def _limiter() -> FixedWindowRateLimiter:
    return services().admin_failures


def _remote() -> str:
    return request.remote_addr or "unknown"


def claim() -> int | None:
    """Take one try for this address, before its credential is checked; the seconds to wait
    when it has none left, else None.

    The count is raised, then compared (one atomic increment on disk): checking first and
    counting after a failure let a burst of simultaneous guesses all pass the check before
    any was counted. A right credential gives its try back (``succeeded``), so admins who
    get it right are never counted.
    """
    limiter, remote = _limiter(), _remote()
    if limiter.hit(FAILED_ADMIN_AUTH, NAMESPACE, remote):
        return None
    reset, _ = limiter.get_window_stats(FAILED_ADMIN_AUTH, NAMESPACE, remote)
    log.warning("admin authentication throttled", extra={"fields": {"remote": remote}})
    return max(1, int(reset - time.time()))


def succeeded() -> None:
    """The credential of a claimed try was right: the try is given back."""
    storage = _limiter().storage
    key = FAILED_ADMIN_AUTH.key_for(NAMESPACE, _remote())
    if isinstance(storage, DiskcacheStorage):
        storage.give_back(key)


def failed(how: str) -> None:
    """Say in the log that a claimed try's credential was wrong (``how``: login, bearer);
    its try stays counted."""
    log.warning(
        "admin authentication failed",
        extra={"fields": {"remote": _remote(), "how": how, "path": request.path}},
    )
