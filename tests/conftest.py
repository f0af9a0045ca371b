from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, Config
from knowledge.persona import FILE_NAME, parse_persona, read_persona

REPORT = next((PROJECT_ROOT / "knowledge" / "sources").glob("*.txt"))
PERSONA_FILE = REPORT.parent / FILE_NAME
PERSONA = parse_persona(read_persona(REPORT.parent)[0])
REPLIES = PERSONA.replies  # the fixed replies the shipped knowledge gives


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data", admin_token="test-admin-token")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A knowledge folder holding a copy of the report and its persona, for tests that add
    or break files."""
    folder = tmp_path / "sources"
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
