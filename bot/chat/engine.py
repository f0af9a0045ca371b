"""The one holder of mutable state: the knowledge base currently serving.

Everything that answers (webhook handlers, console, CLI, admin) asks through an Engine, so
a reload swaps one reference and requests in flight finish on the base they started with.

Several processes serve one bot (gunicorn workers, and with Redis several machines), but a
reload request reaches only one of them. That one checks the folder (a bad file is refused
at once), builds the new base in a thread of its own, beside the serving one, swaps it in
and writes a version stamp naming the build to the shared store. Every other engine
compares the stamp with the one it last saw before each request (one store read) and, when
it changed, opens that build from the on-disk build cache: a build never runs in a request
(gunicorn would kill the worker at its timeout, and its replacement would try again). A
worker that starts serves the stamped build too, never whatever the folder holds by then.
With Redis (several machines), the reloading machine also publishes the build, packed, to
the shared store (bot.state.builds) before it writes the stamp; a machine whose cache lacks
the stamped build fetches it from there, checks it and installs it in its own cache, in a
thread while the old base keeps answering, and never reads its own folder for it: that
folder may hold something else. Only when the shared copy is absent (larger than
BOT_SHARED_BUILD_MB, pruned, Redis down) is the folder built, and /healthz says why.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.qa import lexicon
from bot.qa.answer import Answer, Composer, compose_answer
from bot.qa.understanding import EVERYTHING, Resources
from bot.state.base import StateStore, StoreUnavailable
from bot.state.builds import SharedBuildMissing, SharedBuilds
from bot.state.querylog import QueryLog, QueryRecord
from knowledge.base import (
    KnowledgeBase,
    build_knowledge_base,
    build_sources,
    open_build,
    read_sources,
)
from knowledge.cache import BuildCache
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
    serving: bool = True  # False: still building after the reload's wait; served when done

    @property
    def changed(self) -> bool:
        return self.version != self.previous

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "changed": self.changed}


class ReloadBusy(Exception):
    """A reload is still building; another cannot start until it is done."""


class SharedStoreDown(Exception):
    """Redis, shared by the machines, cannot be reached: a version stamped now would reach no
    other machine, and be undone on this one when Redis comes back with the old stamp."""

    MESSAGE = (
        "reload refused: the shared store (Redis) cannot be reached, so the new version "
        "would reach no other machine and be undone when it comes back; the previous "
        "version keeps serving; try again when /healthz says store redis"
    )


_UNREAD: Any = object()
SYNC_WAIT = 3.0  # seconds a request waits for a build from the folder another worker needs
RETRY_AFTER = 30.0  # seconds before a worker that could not follow tries again


class Engine:
    """The serving knowledge base, its reloads, and the answers asked of it."""

    def __init__(
        self,
        config: Config,
        store: StateStore | None = None,
        querylog: QueryLog | None = None,
        shared: SharedBuilds | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.querylog = querylog
        self.started_at = time.time()
        self.resources = EVERYTHING  # what reading questions may use (the ablation bench varies it)
        self._kb: KnowledgeBase | None = None
        self._reload_lock = threading.Lock()  # one build at a time in this process
        # one switch to another worker's build at a time; the other request threads of this
        # worker wait for it (a moment: the build is read, not made) rather than answer from
        # the version being replaced
        self._switch_lock = threading.Lock()
        self._seen_stamp: Any = None  # the stamp of the version served
        self._wanted_stamp: Any = None  # the newest stamp seen in the store
        self._following: threading.Thread | None = None  # building what another worker stamped
        self.behind: str | None = None  # why this worker does not serve the stamped version
        self.updating: str | None = None  # how it is getting the stamped version, if it is
        # with Redis, builds travel between machines through it (bot.state.open_shared_builds);
        # not for an engine that shares nothing (the console, an evaluation), whose builds
        # are no reload's
        self.shared = shared
        self.building: str | None = None  # the version this worker's reload is building
        self._retry_at = 0.0
        self._failed_stamp: Any = None  # the stamp the back-off (_retry_at) is for
        # what else the shared store's loss takes (the secrets the web layer keeps): called
        # once per loss seen, when the stamp is gone or a put-back one first comes
        self.record_lost: list[Callable[[], None]] = []
        self._loss_seen: Any = None
        self._answers: dict[tuple[str, str, frozenset[str], Resources, bool], Answer] = {}

    @property
    def knowledge(self) -> KnowledgeBase | None:
        return self._kb

    @property
    def cache_dir(self) -> Path:
        return self.config.data_dir / "knowledge-cache"

    @property
    def wanted_version(self) -> str | None:
        """The version the shared stamp says every worker should serve."""
        stamp = self._wanted_stamp or self._seen_stamp
        return stamp.get("version") if isinstance(stamp, dict) else None

    def _build(self) -> KnowledgeBase:
        return build_knowledge_base(
            self.config.knowledge_dir, self.cache_dir, self.config.max_document_bytes
        )

    def _stamped(self, stamp: Any) -> KnowledgeBase | None:
        """The build a stamp names, from the build cache; None when it is not there."""
        key = stamp.get("key") if isinstance(stamp, dict) else None
        return open_build(self.cache_dir, key) if key else None

    def load(self) -> KnowledgeBase:
        """The first load of a process: the build the last reload stamped, when the cache
        holds it (a restarted worker serves what the others serve, whatever the folder holds
        by now), else a build of the folder."""
        with self._reload_lock:
            stamp = self._read_stamp()
            lexicon.load_cilin()  # read before gunicorn forks, not once per worker
            kb = self._stamped(stamp)
            if kb is None and stamp is not None:
                kb = self._fetch_shared(stamp)
            kb = kb or self._build()
            self._kb = kb
            if stamp is None and self._shared_store_answers():
                # the first start of the whole bot, or the shared record was lost (Redis
                # flushed): what it built is the version, until a worker that serves a newer
                # reload puts that back (sync)
                # put back as by a worker that lost the record: a running worker that serves a
                # newer reload replaces it (a start must not roll the machines back)
                self._publish(kb)
                stamp = self._claim_stamp({**self._new_stamp(kb, seq=0), "republished": True})
            if not isinstance(stamp, dict) or kb.version == stamp.get("version"):
                self._seen_stamp = stamp
            else:  # the stamped build is nowhere to be had: say so, and try again later
                self._wanted_stamp = stamp
                reason = self.updating or "the stamped build is not in the build cache"
                self._fall_behind(stamp, f"{reason}; the folder holds {kb.version}")
            self.updating = None
            return kb

    def reload(self, origin: str = "api", wait: float | None = None) -> ReloadResult:
        """Check the folder, build beside the serving base, swap, and tell the others.

        The build runs in a thread, so a large one never holds a request past its deadline:
        the reload waits ``wait`` seconds (BOT_RELOAD_WAIT) for it and answers either with
        the new version serving, or with ``serving`` False while the build goes on (it is
        swapped in, and stamped for every worker, when done). A file the build cannot use is
        refused at once with KnowledgeError, and nothing changes anywhere. One build at a
        time per process (ReloadBusy while one runs) and per machine (a lock file).
        """
        wait = self.config.reload_wait if wait is None else wait
        started = time.perf_counter()
        if self._shared_store_down():
            raise SharedStoreDown(SharedStoreDown.MESSAGE)
        if not self._reload_lock.acquire(timeout=wait):
            raise ReloadBusy("a reload is still building; try again when it is done")
        previous = self._kb.version if self._kb else None
        outcome: dict[str, Any] = {}
        try:  # every file checked before the build starts: a refusal is immediate
            sources = read_sources(self.config.knowledge_dir, self.config.max_document_bytes)
        except Exception as exc:
            self._reloaded(origin, previous, {"error": exc}, started)
            self._reload_lock.release()
            raise
        done = threading.Event()
        self.building = sources.version
        # recorded before it builds: a build whose worker is killed shows as interrupted
        outcome["row"] = self._record_reload(
            origin,
            ok=False,
            state="building",
            version=sources.version,
            previous=previous,
            documents=len(sources.documents),
            pid=os.getpid(),
        )

        def run() -> None:
            try:
                with self._machine_lock():
                    kb = build_sources(sources, self.cache_dir, str(self.config.knowledge_dir))
                    if self._shared_store_down():  # went down while it built: not swapped in
                        raise SharedStoreDown(SharedStoreDown.MESSAGE)
                    self._kb = kb
                    self._publish(kb)  # before the stamp: other machines look for it then
                    stamp = self._new_stamp(kb, seq=self._next_seq())
                    if self.store is not None:
                        self.store.set(STAMP_KEY, stamp)
                    self._seen_stamp = self._wanted_stamp = stamp
                    self.behind = None
                    outcome["kb"] = kb
            except Exception as exc:
                outcome["error"] = exc
            finally:
                self.building = None
                self._reloaded(origin, previous, outcome, started)
                self._reload_lock.release()
                done.set()

        threading.Thread(target=run, name="knowledge-reload", daemon=True).start()
        done.wait(wait)
        if "error" in outcome:
            raise outcome["error"]
        if "result" in outcome:
            return outcome["result"]
        return ReloadResult(
            sources.version,
            previous,
            len(sources.documents),
            0,
            round((time.perf_counter() - started) * 1000, 1),
            [],
            serving=False,
        )

    def _reloaded(
        self, origin: str, previous: str | None, outcome: dict[str, Any], started: float
    ) -> None:
        """Record how a reload ended, in the log and the reload history; a success's result
        goes into ``outcome`` for the reload to answer with."""
        exc = outcome.get("error")
        row = outcome.get("row")
        if exc is not None:
            fields: dict[str, str | bool | None] = {
                "ok": False,
                "state": "refused",
                "previous": previous,
                "error": str(exc),
            }
            if row is None:
                self._record_reload(origin, **fields)
            else:
                self._finish_reload(row, **fields)
            fields = {"origin": origin, "error": str(exc)}
            if isinstance(exc, KnowledgeError):
                fields |= {"file": exc.path, "reason": exc.reason}
            log.warning("reload refused", extra={"fields": fields})
            return
        kb = outcome["kb"]
        took_ms = round((time.perf_counter() - started) * 1000, 1)
        result = ReloadResult(
            kb.version, previous, len(kb.documents), len(kb.passages), took_ms, kb.warnings
        )
        outcome["result"] = result
        if row is None:
            self._record_reload(origin, ok=True, state="ok", **asdict(result))
        else:
            self._finish_reload(row, ok=True, state="ok", **asdict(result))
        log.info("knowledge reloaded", extra={"fields": {**result.to_json(), "origin": origin}})

    def sync(self, stamp: Any = _UNREAD) -> None:
        """Catch up with a reload made by another process; cheap when there was none.
        ``stamp``: the stamp when the caller read it already (a message's begin reads it
        with the rest of the message's state), else it is read here.

        The stamp names the build: it is opened from the build cache (no build, only a
        read). When this machine's cache does not hold it (another machine reloaded), it is
        fetched from the shared store, or, when that has no copy, the folder is built; both
        in a thread while the old base keeps answering, and the request waits a little for
        it, no more. A worker that cannot get the stamped version says so (``behind``,
        /healthz) and tries again later.
        """
        if stamp is _UNREAD:
            stamp = self._read_stamp()
        if not self._shared_store_answers():
            return  # what the fallback holds is no record of the machines' version (/healthz)
        if self._lost(stamp):
            for keep in self.record_lost:
                keep()
        if stamp is None or self._outdated(stamp):
            self._republish(stamp)
            return
        if stamp == self._seen_stamp:
            return
        self._wanted_stamp = stamp
        # the back-off is for the stamp that failed: a newer one is tried at once
        if stamp == self._failed_stamp and time.monotonic() < self._retry_at:
            return
        if self._following is not None and self._following.is_alive():
            return  # building it from the folder already; the old version answers meanwhile
        if not self._switch_lock.acquire(timeout=SYNC_WAIT):
            return
        try:
            if stamp == self._seen_stamp:
                return  # another thread of this worker switched while this one waited
            kb = self._stamped(stamp)
            if kb is not None:
                self._follow(stamp, kb)
                return
            self._follow_elsewhere(stamp)
        except Exception:
            log.exception("cannot open the build another process stamped")
        finally:
            self._switch_lock.release()

    def _follow(self, stamp: Any, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._seen_stamp = self._wanted_stamp = stamp
        self.behind = None
        log.info(
            "knowledge switched after a reload elsewhere",
            extra={"fields": {"version": kb.version, "stamp": stamp.get("version")}},
        )

    def _follow_elsewhere(self, stamp: Any) -> None:
        """In a thread (another machine's build is not in this cache): fetch it from the
        shared store, or, when that holds no copy, build the folder."""
        wanted = stamp.get("version") if isinstance(stamp, dict) else None

        def run() -> None:
            reason: str | None
            with self._reload_lock:
                try:
                    kb = self._fetch_shared(stamp)
                    if kb is None:
                        kb = self._build()
                except Exception as exc:
                    reason = self.updating or "the stamped build is not in the build cache"
                    self._fall_behind(stamp, f"{reason}; cannot build the knowledge folder: {exc}")
                    return
                finally:
                    reason, self.updating = self.updating, None
                if wanted is not None and kb.version != wanted:
                    self._fall_behind(
                        stamp, f"{reason}; the folder holds {kb.version}, not {wanted}"
                    )
                    return
                self._follow(stamp, kb)

        self._following = threading.Thread(target=run, name="knowledge-follow", daemon=True)
        self._following.start()
        self._following.join(SYNC_WAIT)

    def _fall_behind(self, stamp: Any, reason: str) -> None:
        self.behind = reason
        self._failed_stamp = stamp
        self._retry_at = time.monotonic() + RETRY_AFTER
        log.error(
            "cannot load the knowledge another process reloaded; still serving",
            extra={"fields": {"reason": reason, "serving": self._kb and self._kb.version}},
        )

    def ask(
        self,
        question: str,
        *,
        user: str | None = None,
        channel: str = "console",
        exclude: frozenset[str] = frozenset(),
        record: bool = True,
        whole: bool = False,
    ) -> Answer:
        """Answer one question. ``user`` is already a keyed hash (see bot.state.privacy), never an
        OpenID; ``channel`` says where the question came from (wechat, console, admin);
        ``exclude``: sentences this user has been shown already (还有呢); ``record``: False
        for a reading of the message that may not be the one answered; ``whole``: one
        question, never two, though it reads so (a follow-up put in its predecessor's frame)."""
        started = time.perf_counter()
        kb = self._kb or self.load()
        answer = self._answer(kb, question, exclude, whole)
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
        self,
        kb: KnowledgeBase,
        question: str,
        exclude: frozenset[str] = frozenset(),
        whole: bool = False,
    ) -> Answer:
        """The answer from ``kb``, remembered per knowledge version: many users ask the same
        few questions, and an answer depends on nothing but the question, the base and what
        was shown already."""
        if ANSWER_CACHE_SIZE <= 0:
            return compose_answer(kb, question, exclude, self.resources, whole=whole)
        key = (kb.version, question, exclude, self.resources, whole)
        answer = self._answers.get(key)
        if answer is None:
            answer = compose_answer(kb, question, exclude, self.resources, whole=whole)
            if len(self._answers) >= ANSWER_CACHE_SIZE:
                self._answers.clear()
            self._answers[key] = answer
        return answer

    # -- shared stamp ------------------------------------------------------------------
    def _shared_store_down(self) -> bool:
        """Whether the store is Redis and does not answer now (one round trip: the stamp)."""
        if self.store is None or not hasattr(self.store, "healthy"):
            return False
        self._read_stamp()
        return not self.store.healthy

    def _shared_store_answers(self) -> bool:
        """Whether the last call reached the store the machines share (no round trip): while
        Redis is out, what the local fallback holds says nothing of the other machines."""
        return bool(getattr(self.store, "healthy", True))

    @property
    def version_unknown(self) -> str | None:
        """Why this worker cannot tell whether the version it serves is the current one
        (Redis, which holds the machines' record of it, does not answer), else None."""
        if self.store is None or self._shared_store_answers():
            return None
        return (
            "the shared store (Redis) does not answer: a reload elsewhere cannot be seen; "
            "this worker checks again when it is back"
        )

    def _new_stamp(self, kb: KnowledgeBase, seq: int) -> dict[str, Any]:
        return {
            "version": kb.version,
            "key": kb.key,
            "at": time.time(),
            "pid": os.getpid(),
            "seq": seq,  # reloads in order: which version is newer, should the record be lost
        }

    def _next_seq(self) -> int:
        """One past the newest reload this worker knows of (the store's stamp included)."""
        stamps = (self._read_stamp(), self._seen_stamp, self._wanted_stamp)
        return 1 + max(_seq(stamp) for stamp in stamps)

    def _lost(self, stamp: Any) -> bool:
        """Whether ``stamp`` says the shared record was lost, and this worker has not yet
        seen that loss: none at all, or one put back (by another worker, or a machine that
        started on an empty store)."""
        lost = stamp is None or (isinstance(stamp, dict) and bool(stamp.get("republished")))
        if not lost or stamp == self._loss_seen or stamp == self._seen_stamp:
            return False
        self._loss_seen = stamp
        return True

    def _outdated(self, stamp: Any) -> bool:
        """Whether ``stamp`` was put back after the record was lost by a worker that knew
        an older version than this one serves: this one then puts its own back."""
        return (
            isinstance(stamp, dict)
            and bool(stamp.get("republished"))
            and isinstance(self._seen_stamp, dict)
            and _seq(self._seen_stamp) > _seq(stamp)
        )

    def _republish(self, stored: Any) -> None:
        """Put the stamp of the version this worker serves back into the store, which lost
        it (Redis flushed or restarted empty) or holds an older one put back: without it
        the machines would each serve what they have, and /healthz say ok on all of them.
        The newest reload wins (``seq``): a worker that knows a newer one replaces an older
        one put back first, and the others follow it as after a reload. Its build is put
        back first, for the machines whose caches lack it."""
        mine = self._seen_stamp
        if not isinstance(mine, dict) or self._kb is None or self.store is None:
            return
        if not self._switch_lock.acquire(blocking=False):
            return  # another thread of this worker is at it
        try:
            if not self._shared_holds(self._kb):  # one worker's copy is enough
                self._publish(self._kb)
            again = {**mine, "republished": True}
            if stored is None:
                again = self._claim_stamp(again)
            else:
                self.store.set(STAMP_KEY, again)
            if again.get("version") == mine.get("version"):
                self._seen_stamp = self._wanted_stamp = again
                log.warning(
                    "knowledge version record lost in the shared store: put back",
                    extra={"fields": {"version": mine.get("version"), "seq": _seq(mine)}},
                )
        finally:
            self._switch_lock.release()

    def _claim_stamp(self, stamp: dict[str, Any]) -> Any:
        """``stamp`` written when the store holds none (atomic: one worker of all wins);
        what the store holds afterwards."""
        if self.store is None:
            return stamp
        self.store.add(STAMP_KEY, stamp)
        return self.store.get(STAMP_KEY) or stamp

    def _read_stamp(self) -> Any:
        return self.store.get(STAMP_KEY) if self.store is not None else None

    def _shared_holds(self, kb: KnowledgeBase) -> bool:
        if self.shared is None:
            return True
        try:
            return self.shared.holds(kb.key)
        except StoreUnavailable:
            return True  # nothing to put it into now

    def _publish(self, kb: KnowledgeBase) -> None:
        """Put the build in the shared store for the other machines; best effort: without
        it they build their own folders, as /healthz then says."""
        if self.shared is None:
            return
        blob = BuildCache(self.cache_dir).pack(kb.key)
        if blob is None:
            log.warning("knowledge build not shared: it is not in the build cache")
            return
        try:
            self.shared.publish(kb.key, blob, kb.version)
        except StoreUnavailable as exc:
            log.warning("knowledge build not shared", extra={"fields": {"error": str(exc)}})

    def _fetch_shared(self, stamp: Any) -> KnowledgeBase | None:
        """The stamped build from the shared store, installed in this machine's cache; None
        (``updating`` says why, as the folder is built instead) when it has no good copy."""
        key = stamp.get("key") if isinstance(stamp, dict) else None
        if not key:
            self.updating = "the stamp names no build"
            return None
        if self.shared is None:
            self.updating = "building this machine's knowledge folder: no shared store"
            return None
        self.updating = "fetching the build from the shared store"
        try:
            blob = self.shared.fetch(key)
        except (SharedBuildMissing, StoreUnavailable) as exc:
            self.updating = f"building this machine's knowledge folder: {exc}"
            log.warning(
                "cannot fetch the stamped knowledge build; building the folder",
                extra={"fields": {"version": stamp.get("version"), "reason": str(exc)}},
            )
            return None
        if BuildCache(self.cache_dir).unpack(key, blob) is None:
            self.updating = "building this machine's knowledge folder: the shared build is bad"
            return None
        kb = open_build(self.cache_dir, key)
        if kb is not None:
            log.info(
                "knowledge fetched from the shared store",
                extra={"fields": {"version": kb.version, "mb": round(len(blob) / 2**20, 2)}},
            )
        return kb

    @contextmanager
    def _machine_lock(self) -> Iterator[None]:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.config.data_dir / "reload.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _record_reload(self, origin: str, **fields: Any) -> int | None:
        if self.querylog is None:
            return None
        try:
            return self.querylog.record_reload(origin=origin, **fields)
        except Exception:  # the history is for admins; it must not fail a reload
            log.exception("cannot record the reload in the query log")
            return None

    def _finish_reload(self, row: int, **fields: Any) -> None:
        if self.querylog is None:
            return
        try:
            self.querylog.finish_reload(row, **fields)
        except Exception:
            log.exception("cannot record the reload in the query log")


def _seq(stamp: Any) -> int:
    """A stamp's place among reloads (0: none given, as in stamps of earlier releases)."""
    seq = stamp.get("seq") if isinstance(stamp, dict) else None
    return seq if isinstance(seq, int) else 0
