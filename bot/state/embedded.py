"""An on-disk store shared by every process on one machine: one SQLite table in BOT_DATA_DIR.

A message's shared state (bot.state.base.Turn) is one write transaction to begin and one to
finish, so all of it lives in one database: the signed URL's record, which must be seen
whoever the message claims to come from, sits with the user's claim, counter and
conversation. Writers of every worker queue on a lock file before they open a transaction:
the kernel wakes the next one as the lock is released, where SQLite's own busy handler
would sleep a millisecond or more on every collision, and with two workers writing twice a
message collisions are common. Reads take no lock (WAL: they see the last commit).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.state.base import KEEP, Begun, StoreBroken, StoreUnavailable, Turn, Window
from bot.state.turns import Row, counted, keys_of, plan

FILE = "state.sqlite3"
# a write that says the file takes writes: at start, and for /healthz
_PROBE = "INSERT OR REPLACE INTO state VALUES ('probe', 'null', 0)"
# expiring keys an upgrade still copies: what would otherwise come undone (a logout)
KEPT_THROUGH_UPGRADES = ("admin:revoked:",)
WAIT = 5.0  # seconds SQLite itself waits on a lock (only a process outside the lock file)
# seconds a write waits for the machine's lock (a stopped or stuck process may hold it):
# past this, the message is answered with an apology and the worker, /healthz too, goes on
LOCK_WAIT = 2.0
# a write holds the lock for tens of microseconds: its waiters look again that soon, and
# back off to a pause that costs nothing while a stopped process holds it
FIRST_PAUSE, LAST_PAUSE = 0.00002, 0.002
CULL = 8  # expired rows deleted by each finished message: more than a message makes
# A rowid table, not WITHOUT ROWID: the replies and conversations kept are rows of 0.5-7.5 KB,
# which a WITHOUT ROWID table keeps in its key's B-tree, a few to a page (SQLite advises it only
# for rows under a twentieth of a page); in a rowid table the key's index holds only the keys.
# Measured on the state alone: under half the pages on disk, a sixth fewer written to the WAL
# a message, and about a quarter less CPU a message (BENCHMARKS.md, issue 13's fifth round).
TABLE = (
    "CREATE TABLE IF NOT EXISTS {name} (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL)"
)
INDEX = "CREATE INDEX IF NOT EXISTS state_expires ON state (expires) WHERE expires IS NOT NULL"
SCHEMA = f"{TABLE.format(name='state')};\n{INDEX};\n"
# the table as earlier releases made it, rebuilt once, rows and all, by the first process of
# this release to open the file
UPGRADE = f"""
BEGIN IMMEDIATE;
{TABLE.format(name="state_rows")};
INSERT INTO state_rows (key, value, expires) SELECT key, value, expires FROM state;
DROP TABLE state;
ALTER TABLE state_rows RENAME TO state;
{INDEX};
COMMIT;
"""
LIVE = "(expires IS NULL OR expires > ?)"


_ENCODER = json.JSONEncoder(ensure_ascii=False)  # json.dumps with options makes one a call


def _dump(value: Any) -> str:
    return _ENCODER.encode(value)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _lock_within(lock_file: int, seconds: float) -> None:
    """The machine's write lock, waited for no longer than ``seconds``: a process that holds
    it and is stopped must not stop every other."""
    deadline = time.monotonic() + seconds
    pause = FIRST_PAUSE
    while True:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise StoreUnavailable("the state store is locked by another process") from None
            time.sleep(pause)
            pause = min(pause * 2, LAST_PAUSE)


class EmbeddedStore:
    backend = "embedded"

    def __init__(self, data_dir: str | Path) -> None:
        self.directory = Path(data_dir)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / FILE
        self._lock = threading.Lock()
        self._pid = -1
        self._db: sqlite3.Connection | None = None
        self._lock_file = -1
        try:
            with self._lock:
                db, lock_file = self._open()
                _lock_within(lock_file, LOCK_WAIT)
                try:
                    db.executescript(SCHEMA)
                    if _without_rowid(db):
                        try:
                            db.executescript(UPGRADE)
                        except sqlite3.Error:
                            if db.in_transaction:  # the file stays as it was
                                db.execute("ROLLBACK")
                            raise
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)
            with self._writing() as db:
                _migrate_from_diskcache(db, self.directory / "state")
                db.execute(_PROBE)
        except (sqlite3.Error, OSError, StoreUnavailable) as exc:
            # a damaged, read-only or locked file, or a full disk: said at start, in one line
            raise StoreBroken(f"the state file {self.path} cannot be used: {exc}") from None

    def _open(self) -> tuple[sqlite3.Connection, int]:
        """This process's connection. gunicorn forks workers from a master that opened the
        store: a connection (and a lock file's open description, which flock shares) must
        not cross a fork, so a new process opens its own and leaves the inherited ones."""
        if self._pid != os.getpid() or self._db is None:
            db = sqlite3.connect(
                self.path, timeout=WAIT, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # the state lives minutes; no fsync a commit
            lock = os.open(self.directory / "state.lock", os.O_RDWR | os.O_CREAT, 0o600)
            self._db, self._lock_file = db, lock
            self._pid = os.getpid()
        return self._db, self._lock_file

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        if not self._lock.acquire(timeout=LOCK_WAIT):
            raise StoreUnavailable("the state store is busy in this process")
        try:
            db, lock_file = self._open()
            _lock_within(lock_file, LOCK_WAIT)
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    @staticmethod
    def _rows(db: sqlite3.Connection, keys: list[str], now: float) -> dict[str, Row]:
        marks = ",".join("?" * len(keys))
        found = db.execute(
            f"SELECT key, value, expires FROM state WHERE key IN ({marks}) AND {LIVE}",
            (*keys, now),
        )
        return {key: (json.loads(value), expires) for key, value, expires in found}

    @staticmethod
    def _write(db: sqlite3.Connection, rows: dict[str, Row]) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO state VALUES (?, ?, ?)",
            [(key, _dump(value), expires) for key, (value, expires) in rows.items()],
        )

    def check(self) -> str | None:
        """Why this machine's state cannot be written now (a read-only or damaged file, a full
        disk, a lock held too long), or None: /healthz says it, as every message would."""
        try:
            with self._writing() as db:
                db.execute(_PROBE)
        except (sqlite3.Error, OSError, StoreUnavailable) as exc:
            return str(exc)
        return None

    def get(self, key: str) -> Any | None:
        with self._lock:
            db, _ = self._open()
            row = db.execute(
                f"SELECT value FROM state WHERE key = ? AND {LIVE}", (key, time.time())
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        with self._writing() as db:
            if ttl is not None and ttl <= 0:  # already expired
                db.execute("DELETE FROM state WHERE key = ?", (key,))
            else:
                self._write(db, {key: (value, None if ttl is None else time.time() + ttl)})

    def add(self, key: str, value: Any, ttl: float | None = None) -> bool:
        now = time.time()
        with self._writing() as db:
            if self._rows(db, [key], now):
                return False
            if ttl is not None and ttl <= 0:  # would expire at once: only say it was free
                return True
            self._write(db, {key: (value, None if ttl is None else now + ttl)})
            return True

    def delete(self, key: str) -> None:
        with self._writing() as db:
            db.execute("DELETE FROM state WHERE key = ?", (key,))

    def count(self, key: str, window: Window) -> int:
        now = time.time()
        with self._writing() as db:
            row = counted(self._rows(db, [key], now).get(key), window, now)
            self._write(db, {key: row})
        return int(row[0])

    def begin(self, turn: Turn, pending: Any) -> Begun:
        # JSON is read and written outside the machine's lock: inside, plan() passes the
        # stamp, the stored reply and the conversation through as the text they are kept as,
        # and only reads the signed URL's digest and the counter
        claim = _dump(pending)
        keys = keys_of(turn)
        marks = ",".join("?" * len(keys))
        small = {turn.signed[0] if turn.signed else None, turn.rate[0] if turn.rate else None}
        now = time.time()
        with self._writing() as db:
            rows: dict[str, Row] = {}
            for key, value, expires in db.execute(
                f"SELECT key, value, expires FROM state WHERE key IN ({marks}) AND {LIVE}",
                (*keys, now),
            ):
                rows[key] = (json.loads(value) if key in small else value, expires)
            begun, writes = plan(turn, claim, rows, now)
            if writes:
                db.executemany(
                    "INSERT OR REPLACE INTO state VALUES (?, ?, ?)",
                    [
                        (key, value if key == turn.claim else _dump(value), expires)
                        for key, (value, expires) in writes.items()
                    ],
                )
        # not dataclasses.replace, which checks every field again: this runs for every message
        return Begun(
            begun.state,
            _loads(begun.stamp),
            _loads(begun.stored),
            begun.count,
            _loads(begun.context),
        )

    def finish(
        self, turn: Turn, reply: Any, reply_ttl: float, context: Any, context_ttl: float
    ) -> None:
        now = time.time()
        rows = [(turn.claim, _dump(reply), now + reply_ttl)]
        if context is not KEEP and context is not None:
            rows.append((turn.context, _dump(context), now + context_ttl))
        with self._writing() as db:
            db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?, ?)", rows)
            if context is None:
                db.execute("DELETE FROM state WHERE key = ?", (turn.context,))
            # every message leaves rows that expire: a few are swept with each, so the table
            # keeps the size of what is live without a sweeper of its own
            db.execute(
                "DELETE FROM state WHERE key IN "
                "(SELECT key FROM state WHERE expires IS NOT NULL AND expires <= ? LIMIT ?)",
                (now, CULL),
            )

    def close(self) -> None:
        with self._lock:
            if self._db is not None and self._pid == os.getpid():
                self._db.close()
                os.close(self._lock_file)
            self._db = None


def _without_rowid(db: sqlite3.Connection) -> bool:
    row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'state'")
    sql = row.fetchone()
    return sql is not None and "WITHOUT ROWID" in sql[0].upper()


def _migrate_from_diskcache(db: sqlite3.Connection, old: Path) -> None:
    """Once, into a new table: the keys without expiry of the diskcache folder earlier
    releases kept (the secret OpenIDs are hashed with, the admin cookie's key, the knowledge
    stamp), so an upgrade keeps every user's pseudonym and every admin's login; and the
    revoked sessions, with what is left of their time, so a logout before it still holds."""
    if not old.is_dir() or db.execute("SELECT 1 FROM state LIMIT 1").fetchone():
        return
    import diskcache

    cache = diskcache.FanoutCache(str(old))
    try:
        for key in cache:
            value, expire_time = cache.get(key, expire_time=True)
            if not isinstance(key, str) or value is None:
                continue
            if expire_time is None or key.startswith(KEPT_THROUGH_UPGRADES):
                db.execute(
                    "INSERT OR IGNORE INTO state VALUES (?, ?, ?)", (key, _dump(value), expire_time)
                )
    finally:
        cache.close()
