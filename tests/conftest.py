from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, Config

REPORT = next((PROJECT_ROOT / "knowledge" / "sources").glob("*.txt"))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data", admin_token="test-admin-token")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A knowledge folder holding a copy of the report, for tests that add or break files."""
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(REPORT, folder)
    return folder


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A real redis-server shared by one test module (tests keep apart by key or user);
    skipped, with the reason, when redis-server is not installed."""
    from tests.redis_support import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()
