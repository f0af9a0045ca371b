from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, Config

SHARED = PROJECT_ROOT.parent / "shared"
REPORT = next((PROJECT_ROOT / "knowledge" / "sources").glob("*.txt"))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path / "data", admin_token="test-admin-token")
