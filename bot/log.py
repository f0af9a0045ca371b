"""Structured logging: one JSON object per line, so every field can be searched and counted.

Log records carry their fields in ``extra={"fields": {...}}``; ``JsonFormatter`` merges them
into the line. OpenIDs never appear: callers log the keyed hash (bot.state.privacy).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)  # json.dumps makes one a call


class JsonFormatter(logging.Formatter):
    # the line's second, written once a second: a message's line is formatted under load
    _second: tuple[int, str] = (-1, "")

    def _stamp(self, created: float, msecs: float) -> str:
        second = int(created)
        if self._second[0] != second:  # a race only writes the same pair twice
            self._second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        return f"{self._second[1]}.{int(msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self._stamp(record.created, record.msecs),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return _ENCODER.encode(line)


def setup_logging(level: str | None = None) -> None:
    """Send the app's logs to stderr as JSON lines (gunicorn keeps its own access log).

    Does nothing when the root logger already has handlers, so an embedding application
    or a test runner stays in charge of its own logging.
    """
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel((level or os.environ.get("LOG_LEVEL", "info")).upper())
