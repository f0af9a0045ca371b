"""One throttle for every admin credential: wrong tokens, on the login page or in a Bearer
header, count against the client's address in the same window, and every failure is
logged once, without the token. Counted on disk (``machine_counters``), so every worker of
the machine sees the same attempts."""

from __future__ import annotations

import logging
import time

from flask import request
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from bot.web.services import services

FAILED_ADMIN_AUTH = parse("10/15minutes")  # per client address, logins and tokens together
NAMESPACE = "admin-auth"
log = logging.getLogger(__name__)


def _limiter() -> FixedWindowRateLimiter:
    return services().admin_failures


def _remote() -> str:
    return request.remote_addr or "unknown"


def retry_after() -> int | None:
    """Seconds until this address may try again; None when it may now."""
    limiter, remote = _limiter(), _remote()
    if limiter.test(FAILED_ADMIN_AUTH, NAMESPACE, remote):
        return None
    reset, _ = limiter.get_window_stats(FAILED_ADMIN_AUTH, NAMESPACE, remote)
    log.warning("admin authentication throttled", extra={"fields": {"remote": remote}})
    return max(1, int(reset - time.time()))


def failed(how: str) -> None:
    """Count a wrong credential (``how``: login, bearer) and say so in the log."""
    remote = _remote()
    _limiter().hit(FAILED_ADMIN_AUTH, NAMESPACE, remote)
    log.warning(
        "admin authentication failed",
        extra={"fields": {"remote": remote, "how": how, "path": request.path}},
    )
