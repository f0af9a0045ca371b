"""The throttle on admin credentials: a lockout stops wrong tokens, not the admin with the
right one (a long token), and with Redis the wrong tries of one address are counted across
every machine, not once per machine; during an outage each machine counts its own."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import redis

from bot.web import create_app
from bot.web.throttle import FAILED_ADMIN_AUTH, STRONG_TOKEN
from tests.test_admin_page import login
from tests.wechat_support import webhook_config

STRONG = "s3cret-" + "x" * (STRONG_TOKEN - 7)  # as long as a lockout needs to let it in
LIMIT = FAILED_ADMIN_AUTH.amount


def bearer(app, token: str, remote: str = "127.0.0.1"):
    return app.test_client().get(
        "/admin/stats",
        headers={"Authorization": f"Bearer {token}"},
        environ_base={"REMOTE_ADDR": remote},
    )


def test_during_a_lockout_the_right_long_token_still_gets_in(tmp_path: Path, folder: Path):
    """An attacker sending wrong tokens from the admin's address (one NAT, the proxy without
    BOT_TRUSTED_PROXIES) used to lock the admin out for 15 minutes."""
    app = create_app(webhook_config(tmp_path / "data", knowledge_dir=folder, admin_token=STRONG))
    assert [bearer(app, f"guess-{n}").status_code for n in range(LIMIT)] == [401] * LIMIT
    locked = [bearer(app, f"guess-{n}") for n in range(LIMIT, LIMIT + 5)]
    assert {r.status_code for r in locked} == {429}
    # a wrong token in a lockout is told nothing about itself: the same answer for each
    assert len({r.get_data() for r in locked}) == 1
    assert all(int(r.headers["Retry-After"]) > 0 for r in locked)
    assert bearer(app, STRONG).status_code == 200  # the admin is not locked out
    client = app.test_client()
    assert login(client, "guess").status_code == 429
    assert login(client, STRONG).status_code == 302  # nor on the login page
    assert bearer(app, "guess-again").status_code == 429  # and the guesses stay stopped


def test_a_short_token_is_refused_during_a_lockout_too(tmp_path: Path, folder: Path):
    """Letting the right token in means every guess is compared; a short one could be
    guessed that way, so its lockout holds for every credential."""
    short = "x" * (STRONG_TOKEN - 1)
    app = create_app(webhook_config(tmp_path / "data", knowledge_dir=folder, admin_token=short))
    for n in range(LIMIT):
        bearer(app, f"guess-{n}")
    assert bearer(app, short).status_code == 429


@pytest.fixture
def url(redis_server) -> str:
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    client.close()
    return redis_server.url


def machines(tmp_path: Path, folder: Path, url: str):
    """Two apps with data folders of their own and one Redis: two machines."""
    return [
        create_app(webhook_config(tmp_path / f"data-{name}", knowledge_dir=folder, redis_url=url))
        for name in "ab"
    ]


def test_wrong_tokens_are_counted_across_machines(tmp_path: Path, folder: Path, url: str):
    """Counted per machine, two machines gave an attacker twice the guesses."""
    a, b = machines(tmp_path, folder, url)
    statuses = [bearer(app, f"guess-{n}").status_code for n in range(LIMIT) for app in (a, b)]
    assert statuses.count(401) == LIMIT and statuses.count(429) == LIMIT, statuses
    assert bearer(a, "guess").status_code == 429 and bearer(b, "guess").status_code == 429
    assert bearer(b, "another", remote="192.0.2.7").status_code == 401  # per address
    client = redis.Redis.from_url(url)
    [key] = client.keys("forumbot:attempts:*127.0.0.1")
    assert 0 < client.pttl(key) <= FAILED_ADMIN_AUTH.get_expiry() * 1000  # it ends
    client.close()


def test_a_right_token_is_not_counted_on_any_machine(tmp_path: Path, folder: Path, url: str):
    a, b = machines(tmp_path, folder, url)
    for _ in range(3 * LIMIT):
        assert bearer(a, "test-admin-token").status_code == 200
        assert bearer(b, "test-admin-token").status_code == 200
    assert bearer(a, "guess").status_code == 401


def test_during_an_outage_each_machine_counts_its_own(
    tmp_path: Path, folder: Path, redis_server, url: str
):
    a, b = machines(tmp_path, folder, url)
    os.kill(redis_server.process.pid, signal.SIGSTOP)
    try:
        assert [bearer(a, f"guess-{n}").status_code for n in range(LIMIT + 1)][-2:] == [401, 429]
        assert bearer(b, "guess").status_code == 401  # b has counted none of them
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)
    for app in (a, b):
        app.extensions["forumbot"].store.breaker.cooldown = 0  # Redis answers again
    # what was counted during the outage stays on its machine; Redis starts from its own
    assert bearer(b, "guess").status_code == 401
