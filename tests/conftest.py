"""What the tests share: the shipped knowledge built once per session, data folders seeded
from that build, the knowledge folder to change, the real server and Redis, the markers a
fast run leaves out, and the checks that no test writes into the checkout."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.chat.engine import Engine
from bot.config import PROJECT_ROOT, Config
from bot.state import querylog
from bot.web import app as web_app
from bot.web.services import Services
from knowledge import KnowledgeBase, build_knowledge_base
from knowledge.persona import FILE_NAME, parse_persona, read_persona

REPORT = next((PROJECT_ROOT / "knowledge" / "sources").glob("*.txt"))
PERSONA_FILE = REPORT.parent / FILE_NAME
PERSONA = parse_persona(read_persona(REPORT.parent)[0])
REPLIES = PERSONA.replies  # the fixed replies the shipped knowledge gives


_SHARED_BUILD: Path | None = None  # the session's build cache, once built


@pytest.fixture(scope="session", autouse=True)
def shared_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped knowledge, built once per session into a build cache of its own: an app
    on a data folder seeded from it (seeded) opens the build instead of making it again."""
    global _SHARED_BUILD
    cache = tmp_path_factory.mktemp("knowledge-cache")
    build_knowledge_base(REPORT.parent, cache)
    build_knowledge_base(copy_of_the_report(tmp_path_factory.mktemp("folder")), cache)
    _SHARED_BUILD = cache
    return cache


def seeded(data_dir: Path) -> Path:
    """``data_dir`` with the session's build in its build cache (what a restarted worker
    finds); the cache is a copy, so a test that reloads or prunes changes only its own."""
    target = data_dir / "knowledge-cache"
    if _SHARED_BUILD is not None and not target.exists():
        shutil.copytree(_SHARED_BUILD, target)
    return data_dir


TOOL_CACHES = {
    ".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis"
}  # fmt: skip
WATCHED = ("knowledge/sources/", "tests/data/")


def _checkout_files() -> dict[str, float]:
    found = {}
    for folder, dirs, files in os.walk(PROJECT_ROOT):
        dirs[:] = [d for d in dirs if d not in TOOL_CACHES]
        for name in files:
            path = Path(folder, name)
            found[str(path.relative_to(PROJECT_ROOT))] = path.stat().st_mtime
    return found


@pytest.fixture(scope="session", autouse=True)
def _the_checkout_is_left_as_it_was() -> Iterator[None]:
    """No test writes into the checkout (tool caches aside): state, caches and logs go to
    temporary folders, and a test that forgets fails the run here."""
    before = _checkout_files()
    yield
    after = _checkout_files()
    # new files anywhere; changed ones only where tests read data (a developer may well
    # edit code while the suite runs)
    changed = sorted(
        p
        for p, mtime in after.items()
        if p not in before or (before[p] != mtime and p.startswith(WATCHED))
    )
    assert not changed, f"tests wrote into the checkout: {changed[:20]}"


@pytest.fixture(scope="session", autouse=True)
def _no_data_folder_in_the_checkout(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Code run with the settings of the environment (the CLI, the benches, their child
    processes) writes its state under BOT_DATA_DIR: a folder of the session, never the
    checkout's data/."""
    saved = os.environ.get("BOT_DATA_DIR")
    os.environ["BOT_DATA_DIR"] = str(seeded(tmp_path_factory.mktemp("env-data")))
    yield
    if saved is None:
        os.environ.pop("BOT_DATA_DIR", None)
    else:
        os.environ["BOT_DATA_DIR"] = saved


@pytest.fixture(scope="session", autouse=True)
def _query_log_batches_without_waiting() -> Iterator[None]:
    """The query log's writer lets a batch gather for half a second before it commits; a
    test reading back what it logged need not wait for that."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(querylog, "FLUSH_INTERVAL", 0.01)
        yield


_REDIS_APPS: list[Services] = []


@pytest.fixture(scope="session", autouse=True)
def _apps_on_redis_closed_at_the_end() -> Iterator[None]:
    """An app on Redis holds connections, and an app is a cycle of references: collected,
    a socket may be finalized before its connection closes it, which is a ResourceWarning,
    an error here, in whatever test the collector runs. Such apps are kept until the session
    ends, then closed."""

    class Kept(Services):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if self.config.redis_url:
                _REDIS_APPS.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(web_app, "Services", Kept)
        yield
    for services in _REDIS_APPS:
        services.close()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory, shared_build: Path) -> Engine:
    """An engine on the shipped knowledge, for the tests that only ask it questions."""
    engine = Engine(Config(data_dir=seeded(tmp_path_factory.mktemp("engine-data"))))
    engine.load()
    return engine


@pytest.fixture(scope="session")
def kb(shared_build: Path) -> KnowledgeBase:
    """The shipped knowledge base, for the tests that only read it."""
    return build_knowledge_base(REPORT.parent, shared_build)


E2E_MODULES = {"test_console"}  # the console in a terminal of its own
REDIS_MODULES = {"test_resilient_store", "test_webhook_redis", "test_e2e_redis"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by what it needs, so that a fast run can leave those out: e2e for the
    bot in processes of its own (the real server, the console in a terminal), redis for
    redis-server (by module, by fixture, or a backend parameter), browser for Chromium."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module.startswith("test_e2e_") or module in E2E_MODULES:
            item.add_marker("e2e")
        if module == "test_admin_browser":
            item.add_marker("browser")
        callspec = getattr(item, "callspec", None)
        params = list(callspec.params.values()) if callspec is not None else []
        if module in REDIS_MODULES or "redis_server" in item.fixturenames or "redis" in params:
            item.add_marker("redis")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=seeded(tmp_path / "data"), admin_token="test-admin-token")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A knowledge folder holding a copy of the report and its persona, for tests that add
    or break files."""
    return copy_of_the_report(tmp_path)


def copy_of_the_report(where: Path) -> Path:
    """``where``/sources with the report and its persona (no synonyms.txt)."""
    folder = where / "sources"
    folder.mkdir()
    shutil.copy(REPORT, folder)
    shutil.copy(PERSONA_FILE, folder)
    return folder


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A real redis-server shared by one test module (tests keep apart by key or user);
    skipped, with the reason, when redis-server is not installed."""
    from tests.redis_support import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def server(tmp_path, folder):
    """The real app under gunicorn with two workers, on a copy of the knowledge folder."""
    from tests.gunicorn_support import ADMIN_TOKEN, running_server
    from tests.wechat_support import TOKEN

    data_dir = tmp_path / "data"
    settings = dict(
        WEB_CONCURRENCY="2",
        WECHAT_TOKEN=TOKEN,
        BOT_ADMIN_TOKEN=ADMIN_TOKEN,
        BOT_KNOWLEDGE_DIR=str(folder),
    )
    with running_server(data_dir, **settings) as server:
        server.folder, server.data_dir = folder, data_dir  # type: ignore[attr-defined]
        yield server
