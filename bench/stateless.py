"""The real app with its shared state taken away, to measure what that state costs.

This is ``wsgi:app`` (the knowledge base, the webhook, the handlers, the query log, the log
line per message) except that its state store is process-local memory and the per-user rate
limit is off. Retries, follow-ups and the rate limit then no longer hold across gunicorn
workers, so it is never served. It bounds what the real app could reach if the state that
makes it correct across workers cost nothing:
``python -m bench webhook --real bench.stateless:app --scale 0``.
"""

from __future__ import annotations

from dataclasses import replace

from bot.config import Config
from bot.log import setup_logging
from bot.state.memory import MemoryStore
from bot.web import create_app

setup_logging()
app = create_app(replace(Config.from_env(), rate_limit="0"), store=MemoryStore())
