"""What users ask and how the bot fared, in SQLite under ``BOT_DATA_DIR``, for admins.

The reply must not wait for the disk: ``record`` only puts the entry on a queue, and a
writer thread per process commits the queue in batches. The writer starts on first use in
each process (gunicorn forks workers after the app is built, and threads do not survive a
fork) and is drained at exit, so a graceful restart (SIGTERM) loses nothing. Entries older
than the retention period are deleted as the log is written; ``retention_days = 0`` keeps
no questions at all.

Every worker writes the same file (WAL mode lets readers and one writer overlap), so the
admin page sees the questions of all workers.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FLUSH_INTERVAL = 0.5  # seconds between batches
BATCH = 500  # entries per transaction at most
PRUNE_INTERVAL = 3600  # seconds between deletions of expired entries
LOW_CONFIDENCE = 0.7  # an answer covering less of the question than this is worth a look

log = logging.getLogger(__name__)

LATENCY_SAMPLE = 10_000  # questions the latency percentiles are taken from

SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    user TEXT,
    channel TEXT NOT NULL,
    question TEXT NOT NULL,
    topic TEXT NOT NULL,
    answered INTEGER NOT NULL,
    confident INTEGER NOT NULL,
    top_score REAL,
    coverage REAL,
    cited TEXT NOT NULL,
    latency_ms REAL NOT NULL,
    version TEXT
);
CREATE INDEX IF NOT EXISTS questions_at ON questions (at);
CREATE INDEX IF NOT EXISTS questions_at_latency ON questions (at, latency_ms);
-- Summaries the admin pages read, kept by a trigger as questions are written: with a
-- million questions, grouping them on every page view took 18 s.
CREATE TABLE IF NOT EXISTS question_days (
    day INTEGER PRIMARY KEY,
    questions INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    confident INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS unsure_topics (
    topic TEXT NOT NULL,
    day INTEGER NOT NULL,
    question TEXT NOT NULL,
    n INTEGER NOT NULL,
    not_answered INTEGER NOT NULL,
    last_at REAL NOT NULL,
    top_score REAL,
    PRIMARY KEY (topic, day)
);
-- read in topic order with everything the Unanswered page sums, so grouping needs no sort
CREATE INDEX IF NOT EXISTS unsure_topics_read
    ON unsure_topics (topic, day, n, not_answered, last_at, question);
CREATE TRIGGER IF NOT EXISTS questions_summarised AFTER INSERT ON questions BEGIN
    INSERT INTO question_days (day, questions, answered, confident)
    VALUES (CAST(NEW.at / 86400 AS INTEGER), 1, NEW.answered, NEW.confident)
    ON CONFLICT (day) DO UPDATE SET
        questions = questions + 1,
        answered = answered + excluded.answered,
        confident = confident + excluded.confident;
    INSERT INTO unsure_topics (topic, day, question, n, not_answered, last_at, top_score)
    SELECT NEW.topic, CAST(NEW.at / 86400 AS INTEGER), NEW.question, 1, 1 - NEW.answered,
        NEW.at, NEW.top_score
    WHERE NEW.confident = 0
    ON CONFLICT (topic, day) DO UPDATE SET
        n = n + 1,
        not_answered = not_answered + excluded.not_answered,
        question = CASE WHEN excluded.last_at >= last_at THEN excluded.question ELSE question END,
        last_at = MAX(last_at, excluded.last_at),
        top_score = MAX(COALESCE(top_score, excluded.top_score),
                        COALESCE(excluded.top_score, top_score));
END;
CREATE TABLE IF NOT EXISTS reloads (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    ok INTEGER NOT NULL,
    version TEXT,
    previous TEXT,
    documents INTEGER,
    passages INTEGER,
    took_ms REAL,
    error TEXT,
    origin TEXT,
    state TEXT,  -- building, ok, refused; NULL in rows written before states existed
    pid INTEGER  -- of the building process: a build whose process is gone was interrupted
);
"""
RELOAD_COLUMNS = ("state", "pid")  # added since the table was first made
INTERRUPTED = (
    "the build did not finish: its process ended (killed, or restarted) before it was done; "
    "the previous knowledge kept serving"
)

_NOT_WORD = re.compile(r"[\W_]+")


def topic(question: str) -> str:
    """The form questions are grouped by: width, case, spacing and punctuation ignored."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", question).lower())


@dataclass(frozen=True)
class QueryRecord:
    question: str
    channel: str
    answered: bool
    latency_ms: float
    user: str | None = None
    top_score: float | None = None
    coverage: float | None = None
    cited: Sequence[str] = ()
    version: str | None = None
    at: float = field(default_factory=time.time)

    @property
    def confident(self) -> bool:
        return self.answered and (self.coverage is None or self.coverage >= LOW_CONFIDENCE)


class QueryLog:
    FILE_NAME = "queries.sqlite3"

    @classmethod
    def in_data_dir(cls, data_dir: Path, retention_days: float = 90) -> QueryLog:
        """The log every process of a machine writes: one file in BOT_DATA_DIR."""
        return cls(data_dir / cls.FILE_NAME, retention_days)

    def __init__(self, path: str | Path, retention_days: float = 90) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self._queue: queue.SimpleQueue[QueryRecord | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_pid = 0
        self._start_lock = threading.Lock()
        self._pending = 0  # entries put on the queue and not yet committed
        self._pending_lock = threading.Condition()
        self._last_prune = 0.0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)
            have = {row[1] for row in db.execute("PRAGMA table_info(reloads)")}
            for column in RELOAD_COLUMNS:
                if column not in have:  # a log made by an older release
                    db.execute(f"ALTER TABLE reloads ADD COLUMN {column}")
            self._summarise_older(db)

    @staticmethod
    def _summarise_older(db: sqlite3.Connection) -> None:
        """A log written before the summaries existed gets them once, from its questions."""
        if db.execute("SELECT 1 FROM question_days LIMIT 1").fetchone():
            return
        if not db.execute("SELECT 1 FROM questions LIMIT 1").fetchone():
            return
        db.execute(
            "INSERT INTO question_days SELECT CAST(at / 86400 AS INTEGER) AS d, COUNT(*),"
            " SUM(answered), SUM(confident) FROM questions GROUP BY d"
        )
        db.execute(
            "INSERT INTO unsure_topics SELECT topic, CAST(at / 86400 AS INTEGER) AS d,"
            " question, COUNT(*), SUM(answered = 0), MAX(at), NULL"
            " FROM questions WHERE confident = 0 GROUP BY topic, d"
        )

    @property
    def enabled(self) -> bool:
        return self.retention_days > 0

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            with db:
                yield db
        finally:
            db.close()

    # -- writing -----------------------------------------------------------------------
    def record(self, entry: QueryRecord) -> None:
        """Queue one question for the writer; never blocks on the disk."""
        if not self.enabled:
            return
        self._ensure_writer()
        with self._pending_lock:
            self._pending += 1
        self._queue.put(entry)

    def _ensure_writer(self) -> None:
        if self._writer is not None and self._writer_pid == os.getpid():
            return
        with self._start_lock:
            if self._writer is not None and self._writer_pid == os.getpid():
                return
            # In a forked child the parent's queue may hold entries the parent will write.
            self._queue = queue.SimpleQueue()
            self._pending = 0
            self._writer_pid = os.getpid()
            self._writer = threading.Thread(target=self._write_loop, name="querylog", daemon=True)
            self._writer.start()
            atexit.register(self.close)

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is not None:
                time.sleep(FLUSH_INTERVAL)  # let a batch gather: one commit per interval
            batch: list[QueryRecord] = []
            stop = False
            while True:
                if item is None:
                    stop = True
                else:
                    batch.append(item)
                if len(batch) >= BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write(batch)
            if stop:
                return

    def _prune_due(self) -> bool:
        return time.time() - self._last_prune >= PRUNE_INTERVAL

    def _write(self, batch: list[QueryRecord]) -> None:
        try:
            with self._connect() as db:
                db.executemany(
                    "INSERT INTO questions (at, user, channel, question, topic, answered,"
                    " confident, top_score, coverage, cited, latency_ms, version)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            e.at,
                            e.user,
                            e.channel,
                            e.question,
                            topic(e.question),
                            int(e.answered),
                            int(e.confident),
                            e.top_score,
                            e.coverage,
                            json.dumps(list(e.cited), ensure_ascii=False),
                            e.latency_ms,
                            e.version,
                        )
                        for e in batch
                    ],
                )
                if self._prune_due():
                    cutoff = time.time() - self.retention_days * 86400
                    db.execute("DELETE FROM questions WHERE at < ?", (cutoff,))
                    for table in ("question_days", "unsure_topics"):  # whole days only
                        db.execute(f"DELETE FROM {table} WHERE day < ?", (int(cutoff // 86400),))
                    self._last_prune = time.time()
        except sqlite3.Error:
            log.exception("query log: %d entries could not be written", len(batch))
        finally:
            with self._pending_lock:
                self._pending -= len(batch)
                self._pending_lock.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything recorded so far is committed; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._pending_lock:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._pending_lock.wait(left)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued and stop the writer (at exit, and on a graceful shutdown)."""
        writer = self._writer
        if writer is None or self._writer_pid != os.getpid() or not writer.is_alive():
            return
        self._queue.put(None)
        writer.join(timeout)
        self._writer = None

    _RELOAD_FIELDS = ("ok", "version", "previous", "documents", "passages", "took_ms", "error")

    def record_reload(self, **fields: Any) -> int:
        """Reloads are rare and admins look for them at once: written straight away. A
        build is recorded as it starts (``state`` building, with its process), so one that
        never ends, its worker killed, still shows, as interrupted; the row's id is for
        ``finish_reload``."""
        columns = (*self._RELOAD_FIELDS, *RELOAD_COLUMNS)
        with self._connect() as db:
            cursor = db.execute(
                f"INSERT INTO reloads (at, origin, {', '.join(columns)})"
                f" VALUES (?, ?, {', '.join('?' * len(columns))})",
                [time.time(), fields.get("origin"), *(fields.get(c) for c in columns)],
            )
            return int(cursor.lastrowid or 0)

    def finish_reload(self, row: int, **fields: Any) -> None:
        """How the build recorded as ``row`` ended."""
        columns = (*self._RELOAD_FIELDS, "state")
        with self._connect() as db:
            db.execute(
                f"UPDATE reloads SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
                [*(fields.get(c) for c in columns), row],
            )

    # -- reading -----------------------------------------------------------------------
    def summary(self, days: float = 7) -> dict[str, Any]:
        since = time.time() - days * 86400
        with self._connect() as db:
            total, answered, confident = db.execute(
                "SELECT COALESCE(SUM(questions), 0), COALESCE(SUM(answered), 0),"
                " COALESCE(SUM(confident), 0) FROM question_days WHERE day >= ?",
                (int(since // 86400),),
            ).fetchone()
            latencies = [  # the latest ones: plenty for a p99, and read from an index
                row[0]
                for row in db.execute(
                    "SELECT latency_ms FROM questions WHERE at >= ? ORDER BY at DESC LIMIT ?",
                    (since, LATENCY_SAMPLE),
                )
            ]
        percentiles = {}
        if latencies:
            values = np.percentile(latencies, [50, 90, 99])
            percentiles = {
                f"p{q}": round(float(v), 2) for q, v in zip((50, 90, 99), values, strict=True)
            }
        return {
            "days": days,
            "questions": total,
            "answered": answered,
            "unanswered": total - answered,
            "low_confidence": answered - confident,
            "latency_ms": percentiles,
        }

    def unanswered(self, limit: int = 50, days: float = 30) -> list[dict[str, Any]]:
        """Questions not answered, or answered with low confidence, grouped by wording and
        counted: the most asked first, so admins know what to add."""
        day = int((time.time() - days * 86400) // 86400)  # whole days, from the summaries
        with self._connect() as db:
            # MAX(last_at) is the only min/max aggregate, so SQLite takes ``question`` from
            # that row: the latest wording
            grouped = db.execute(
                "SELECT topic, SUM(n) AS total, SUM(not_answered), MAX(last_at), question"
                " FROM unsure_topics WHERE day >= ?"
                " GROUP BY topic ORDER BY total DESC, MAX(last_at) DESC LIMIT ?",
                (day, limit),
            ).fetchall()
            topics = [row[0] for row in grouped]
            scores = (
                dict(
                    db.execute(
                        "SELECT topic, MAX(top_score) FROM unsure_topics WHERE day >= ? AND topic IN"
                        f" ({', '.join('?' * len(topics))}) GROUP BY topic",
                        (day, *topics),
                    ).fetchall()
                )
                if topics
                else {}
            )
            rows = [(*row[:4], row[4], scores.get(row[0])) for row in grouped]
        return [
            {
                "question": question,
                "count": n,
                "unanswered": not_answered,
                "low_confidence": n - not_answered,
                "last_asked": last,
                "top_score": None if score is None else round(score, 3),
            }
            for _, n, not_answered, last, question, score in rows
        ]

    def reloads(self, limit: int = 20) -> list[dict[str, Any]]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM reloads ORDER BY id DESC LIMIT ?", (limit,))
            return [_reload_row(dict(row)) for row in rows]


def _reload_row(row: dict[str, Any]) -> dict[str, Any]:
    """A reload as admins read it: ``state`` ok, refused, building or interrupted."""
    state = row.get("state") or ("ok" if row["ok"] else "refused")
    if state == "building" and not _alive(row.get("pid")):
        state, row["error"] = "interrupted", INTERRUPTED
    return {**row, "ok": bool(row["ok"]), "state": state}


def _alive(pid: int | None) -> bool:
    """Whether a process of this machine (the log is per machine) still runs; a killed one
    not yet reaped by its parent (a zombie) does not."""
    if not pid:
        return False
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except (OSError, IndexError):  # no /proc: ask the kernel
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True
