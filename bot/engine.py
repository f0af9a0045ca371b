"""The one holder of mutable state: the knowledge base currently serving.

Everything that answers (webhook handlers, console, CLI, admin) asks through an Engine, so
a reload swaps one reference and requests in flight finish on the base they started with.

Several processes serve one bot (gunicorn workers, and with Redis several machines), but a
reload request reaches only one of them. That one builds the new base, swaps it in and
writes a version stamp to the shared store; every other engine compares the stamp with
the one it last saw before each request (one store read) and, when it changed, loads the
same folder again, which the on-disk build cache makes cheap.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot import lexicon
from bot.answer import Answer, Composer, compose_answer
from bot.config import Config
from bot.querylog import QueryLog, QueryRecord
from bot.store.base import StateStore
from bot.understanding import EVERYTHING, Resources
from knowledge.base import KnowledgeBase, build_knowledge_base
from knowledge.errors import KnowledgeError

STAMP_KEY = "knowledge:stamp"
ANSWER_CACHE_SIZE = 4096  # answers kept per process

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadResult:
    version: str
    previous: str | None
    documents: int
    passages: int
    took_ms: float
    warnings: list[str]

    @property
    def changed(self) -> bool:
        return self.version != self.previous

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "changed": self.changed}


class Engine:
    def __init__(
        self,
        config: Config,
        store: StateStore | None = None,
        querylog: QueryLog | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.querylog = querylog
        self.started_at = time.time()
        self._kb: KnowledgeBase | None = None
        self._reload_lock = threading.Lock()
        self._seen_stamp: Any = None
        self.resources = EVERYTHING  # what reading questions may use (the ablation bench varies it)
        self._answers: dict[tuple[str, str, frozenset[str], Resources], Answer] = {}

    @property
    def knowledge(self) -> KnowledgeBase | None:
        return self._kb

    @property
    def cache_dir(self) -> Path:
        return self.config.data_dir / "knowledge-cache"

    def _build(self) -> KnowledgeBase:
        return build_knowledge_base(
            self.config.knowledge_dir, self.cache_dir, self.config.max_document_bytes
        )

    def load(self) -> KnowledgeBase:
        """Build from the knowledge folder and serve it; the first load of a process.

        The folder is what every instance serves, so whatever stamp the store holds now
        is already reflected in it: remember the stamp, so it does not trigger a reload.
        """
        with self._reload_lock:
            stamp = self._read_stamp()
            lexicon.load_cilin()  # read before gunicorn forks, not once per worker
            self._kb = self._build()
            self._seen_stamp = stamp if stamp is not None else self._write_stamp(self._kb)
            return self._kb

    def reload(self, origin: str = "api") -> ReloadResult:
        """Rebuild from the folder, validate, swap, and tell the other processes.

        Reloads are serialised, within this process by a lock and between the processes
        of one machine by a lock file, so two admins clicking at once build one after the
        other. On KnowledgeError the serving base stays and the error is raised.
        """
        started = time.perf_counter()
        with self._reload_lock, self._machine_lock():
            previous = self._kb.version if self._kb else None
            try:
                kb = self._build()
            except Exception as exc:
                self._record_reload(origin, ok=False, previous=previous, error=str(exc))
                fields = {"origin": origin, "error": str(exc)}
                if isinstance(exc, KnowledgeError):
                    fields |= {"file": exc.path, "reason": exc.reason}
                log.warning("reload refused", extra={"fields": fields})
                raise
            self._kb = kb
            self._seen_stamp = self._write_stamp(kb)
        took_ms = round((time.perf_counter() - started) * 1000, 1)
        result = ReloadResult(
            kb.version, previous, len(kb.documents), len(kb.passages), took_ms, kb.warnings
        )
        self._record_reload(origin, ok=True, **asdict(result))
        log.info("knowledge reloaded", extra={"fields": {**result.to_json(), "origin": origin}})
        return result

    def sync(self) -> None:
        """Catch up with a reload made by another process; cheap when there was none.

        The request that notices the change rebuilds (from the cache: milliseconds for
        the report); requests in other threads keep answering from the old base meanwhile.
        """
        stamp = self._read_stamp()
        if stamp is None or stamp == self._seen_stamp:
            return
        if not self._reload_lock.acquire(blocking=False):
            return  # this process is loading already
        try:
            if stamp == self._seen_stamp:
                return
            self._seen_stamp = stamp
            kb = self._build()
            self._kb = kb
            log.info(
                "knowledge switched after a reload elsewhere",
                extra={"fields": {"version": kb.version, "stamp": stamp.get("version")}},
            )
        except Exception:
            log.exception("cannot load the knowledge another process reloaded; still serving")
        finally:
            self._reload_lock.release()

    def ask(
        self,
        question: str,
        *,
        user: str | None = None,
        channel: str = "console",
        exclude: frozenset[str] = frozenset(),
        record: bool = True,
    ) -> Answer:
        """Answer one question. ``user`` is already a keyed hash (see bot.privacy), never an
        OpenID; ``channel`` says where the question came from (wechat, console, admin);
        ``exclude``: sentences this user has been shown already (还有呢); ``record``: False
        for a reading of the message that may not be the one answered."""
        started = time.perf_counter()
        kb = self._kb or self.load()
        answer = self._answer(kb, question, exclude)
        if record and self.querylog is not None and channel != "admin":
            self.querylog.record(
                QueryRecord(
                    question=question,
                    channel=channel,
                    answered=answer.answered,
                    latency_ms=(time.perf_counter() - started) * 1000,
                    user=user,
                    top_score=answer.top_score,
                    coverage=answer.coverage if answer.answered else None,
                    cited=[c.passage.id for c in answer.citations],
                    version=kb.version,
                )
            )
        return answer

    def more_of(self, passage_ids: list[str], shown: frozenset[str]) -> Answer:
        """What the passages an answer cited go on to say, beyond the sentences shown."""
        return Composer(self._kb or self.load(), self.resources).more_of(passage_ids, shown)

    def _answer(
        self, kb: KnowledgeBase, question: str, exclude: frozenset[str] = frozenset()
    ) -> Answer:
        """The answer from ``kb``, remembered per knowledge version: many users ask the same
        few questions, and an answer depends on nothing but the question, the base and what
        was shown already."""
        if ANSWER_CACHE_SIZE <= 0:
            return compose_answer(kb, question, exclude, self.resources)
        key = (kb.version, question, exclude, self.resources)
        answer = self._answers.get(key)
        if answer is None:
            answer = compose_answer(kb, question, exclude, self.resources)
            if len(self._answers) >= ANSWER_CACHE_SIZE:
                self._answers.clear()
            self._answers[key] = answer
        return answer

    # -- shared stamp ------------------------------------------------------------------
    def _read_stamp(self) -> Any:
        return self.store.get(STAMP_KEY) if self.store is not None else None

    def _write_stamp(self, kb: KnowledgeBase) -> Any:
        stamp = {"version": kb.version, "at": time.time(), "pid": os.getpid()}
        if self.store is not None:
            self.store.set(STAMP_KEY, stamp)
        return stamp

    @contextmanager
    def _machine_lock(self) -> Iterator[None]:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.config.data_dir / "reload.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _record_reload(self, origin: str, **fields: Any) -> None:
        if self.querylog is None:
            return
        try:
            self.querylog.record_reload(origin=origin, **fields)
        except Exception:  # the history is for admins; it must not fail a reload
            log.exception("cannot record the reload in the query log")
