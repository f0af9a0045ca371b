"""A real redis-server for the tests (bench._serve's, which the load test uses too), skipped
with the reason when redis-server is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import _serve
from bench._serve import free_port

__all__ = ["RedisServer", "free_port"]


class RedisServer(_serve.RedisServer):
    def __init__(self, directory: Path) -> None:
        try:
            super().__init__(directory)
        except _serve.NotInstalled as exc:
            pytest.skip(f"{exc}; CI has it")
