"""An on-disk store shared by every process on one machine, in BOT_DATA_DIR: the state of each
message in an LMDB environment (``state.lmdb/``), the keys that must outlive a machine crash
in one SQLite table (``state.sqlite3``) as well.

Two kinds of state, kept at two prices. What a message leaves (the signed URL's record, the
retry claim and stored reply, the rate count, the conversation) lives minutes, and WeChat
stops retrying within about 15 s: it may be lost when the machine crashes, so the
environment is written without a sync (``sync=False, metasync=False``), and a message's
begin and finish are one LMDB write transaction each, whose commits take a third of the
profile's share SQLite's took (BENCHMARKS.md, issue 13's sixth round). What must not be lost (the keys set
without expiry: the secret users are hashed with, the admin cookie's key, the knowledge
stamp; and what KEPT_THROUGH_UPGRADES names, a logout's revoked session) is written to
SQLite first, with a sync at each commit, and then to LMDB, so that a begin reads the stamp
in its one transaction. A row that also lives in SQLite carries a mark in LMDB: writing it
again with an expiry, or deleting it, takes it out of SQLite too.

Without a sync, a machine crash can leave the environment damaged, and LMDB may crash the
process that reads a damaged page. So the environment records the boot it was made in (a
file beside LMDB's, read before the data is mapped); a process that finds another boot's
environment, or one it cannot read, or a data file cut short (_truncated, read through in a
child process), sets it aside (``state.lmdb.aside-<time>-<pid>``, one warning) and makes a
new one, copying SQLite's rows into it; but not while another process has it open (USERS),
which would leave that one writing into the folder set aside. The map keeps a reserve
(ROOM) that only deletes may use, so a full store comes back as its rows expire. The rows of an earlier release's ``state.sqlite3``, which kept every row there,
are copied the same way when the environment is first made.

Writers of every worker queue on a lock file (``state.lock``) before LMDB's own writer lock:
a process stopped while it writes holds both, and a writer waits for the file's lock at most
LOCK_WAIT before it gives up (StoreUnavailable), where LMDB's would wait for ever. A process
killed in a transaction leaves nothing of it behind (the lock file's lock goes with the
process, and LMDB's writer lock is a robust mutex).

An LMDB environment is one per process and must not cross a fork (py-lmdb refuses a second
one on the same files, and a child using its parent's would break the locks of both):
gunicorn's master closes it before it forks (gunicorn.conf.py's ``pre_fork``), and a process
that finds its parent's closes it before it opens its own.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lmdb

from bot.state.base import KEEP, Begun, StoreBroken, StoreUnavailable, Turn, Window
from bot.state.turns import Row, counted, keys_of, plan

log = logging.getLogger(__name__)

FILE = "state.sqlite3"
ENVIRONMENT = "state.lmdb"
BOOT_FILE = "boot-id"  # in the environment's folder: the boot it was made in
# where the kernel says which boot this is; BOT_BOOT_ID_FILE stands in for it (tests
# "reboot" a machine by changing the file it names)
BOOT_ID = "/proc/sys/kernel/random/boot_id"
MAP_SIZE = 1024 * 1024 * 1024  # bytes LMDB may map: the most the per-message state can hold
PROJECT_ROOT = Path(__file__).resolve().parents[2]  # where a child process imports this from
CHILD_READ_WAIT = 20.0  # seconds a child may take to read an environment through
ASIDE_KEPT = 3  # environments set aside that are kept for a look, the newest
# beside the environment: every process with it open holds a shared lock on this file, and it
# is set aside only under an exclusive one (no process still writing into the old folder)
USERS = "state.lmdb.users"
# a write that says the file takes writes: at start, and for /healthz
_PROBE = "INSERT OR REPLACE INTO state VALUES ('probe', 'null', 0)"
# expiring keys that are kept as the keys without expiry are: what would otherwise come undone
# after a crash or an upgrade (a logout)
KEPT_THROUGH_UPGRADES = ("admin:revoked:",)
WAIT = 5.0  # seconds SQLite itself waits on a lock (only a process outside the lock file)
# seconds a write waits for the machine's lock (a stopped or stuck process may hold it):
# past this, the message is answered with an apology and the worker, /healthz too, goes on
LOCK_WAIT = 2.0
# a write holds the lock for tens of microseconds: its waiters look again that soon, and
# back off to a pause that costs nothing while a stopped process holds it
FIRST_PAUSE, LAST_PAUSE = 0.00002, 0.002
CULL = 8  # expired rows deleted by each finished message: more than a message makes
# The room kept free in the map, at most this much and at most a quarter of it: a write that
# would leave less is refused (the message gets the apology) after the expired rows are
# culled, so that deletes, which need free pages too, can always run and the store comes
# back as rows expire; /healthz says the store is full then.
ROOM = 1024 * 1024
CULL_BATCH = 500  # expired rows a write that finds the room short deletes a transaction
# A rowid table, not WITHOUT ROWID: the rows kept are secrets, stamps and revoked sessions
# now, but an earlier release's file holds replies and conversations of 0.5-7.5 KB, which a
# WITHOUT ROWID table keeps in its key's B-tree, a few to a page (BENCHMARKS.md, issue 13's
# fifth round).
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

# An LMDB row: when it expires (0: never), whether SQLite holds it too, then its JSON.
HEAD = struct.Struct(">d?")
WHEN = struct.Struct(">Q")  # the expiry table's key: microseconds, big-endian, then the key
KEPT, SHORT = True, False


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


def boot_id() -> str:
    """Which boot of the machine this is: an environment made in another one may have been
    cut short by a crash. Without the kernel's id (not Linux), the boot's time to the
    minute stands in, which at worst sets an intact environment aside."""
    try:
        return Path(os.environ.get("BOT_BOOT_ID_FILE") or BOOT_ID).read_text().strip()
    except OSError:
        return f"booted-at:{round((time.time() - time.monotonic()) / 60)}"


@dataclass(eq=False)
class _Environment:
    """This process's handle on one environment, shared by every store of the process on
    the same folder (LMDB allows one per process)."""

    env: lmdb.Environment
    rows: Any  # key -> HEAD + JSON
    expiry: Any  # WHEN + key -> b"": the rows by expiry, for the cull
    meta: Any  # the probe
    pid: int = field(default_factory=os.getpid)
    users: set[int] = field(default_factory=set)
    in_use: int = -1  # a shared lock on the folder's USERS file while this handle is open

    def close(self) -> None:
        if self.pid == os.getpid():
            self.env.close()
            if self.in_use >= 0:
                os.close(self.in_use)


_OPEN: dict[Path, _Environment] = {}
_OPEN_LOCK = threading.Lock()


def close_before_fork() -> None:
    """Close every environment this process has open: gunicorn's master calls it before it
    forks a worker, which then opens its own (the stores open theirs again when next used)."""
    with _OPEN_LOCK:
        for path, handle in list(_OPEN.items()):
            if handle.pid == os.getpid():
                handle.close()
            del _OPEN[path]


def _forget_parents() -> None:
    """In a forked child: close what the parent had open before anything of this process is
    opened (py-lmdb refuses a second handle on the same files, and closing the parent's
    after this process took LMDB's file locks would drop them)."""
    for path, handle in list(_OPEN.items()):
        if handle.pid != os.getpid():
            with suppress(lmdb.Error):
                handle.env.close()
            if handle.in_use >= 0:  # the parent's lock stays with the parent's descriptor
                with suppress(OSError):
                    os.close(handle.in_use)
            del _OPEN[path]


class EmbeddedStore:
    backend = "embedded"

    def __init__(self, data_dir: str | Path, map_size: int = MAP_SIZE) -> None:
        self.directory = Path(data_dir)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory = self.directory.resolve()  # a symlink to it opens the same environment
        self.path = self.directory / FILE
        self.environment = self.directory / ENVIRONMENT
        self.map_size = map_size
        self._reserve = min(ROOM, map_size // 4)
        self._lock = threading.Lock()
        self._pid = -1
        self._db: sqlite3.Connection | None = None
        self._lock_file = -1
        self._env: _Environment | None = None
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
                    with _sqlite_transaction(db):
                        _migrate_from_diskcache(db, self.directory / "state")
                        db.execute(_PROBE)
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)
        except (sqlite3.Error, OSError, StoreUnavailable) as exc:
            # a damaged, read-only or locked file, or a full disk: said at start, in one line
            raise StoreBroken(f"the state file {self.path} cannot be used: {exc}") from None
        try:
            with self._writing(adds=False):  # the environment made, checked, SQLite's rows in it
                pass
        except (lmdb.Error, OSError, StoreUnavailable) as exc:
            raise StoreBroken(
                f"the state folder {self.environment} cannot be used: {exc}"
            ) from None

    def _open(self) -> tuple[sqlite3.Connection, int]:
        """This process's SQLite connection and lock file. gunicorn forks workers from a
        master that opened the store: a connection (and a lock file's open description, which
        flock shares) must not cross a fork, so a new process opens its own and leaves the
        inherited ones."""
        if self._pid != os.getpid() or self._db is None:
            db = sqlite3.connect(
                self.path, timeout=WAIT, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            # written only for the keys that must outlive a crash, a few times a day: each
            # commit synced
            db.execute("PRAGMA synchronous=FULL")
            lock = os.open(self.directory / "state.lock", os.O_RDWR | os.O_CREAT, 0o600)
            self._db, self._lock_file = db, lock
            self._env = None
            self._pid = os.getpid()
        return self._db, self._lock_file

    def _environment(self) -> _Environment:
        """This process's environment, opened (and checked, or made) on first use; the
        caller holds the machine's lock."""
        handle = self._env
        if (
            handle is not None
            and handle.pid == os.getpid()
            and _OPEN.get(self.environment) is handle
        ):
            return handle
        db, _ = self._open()
        with _OPEN_LOCK:
            _forget_parents()
            handle = _OPEN.get(self.environment)
            if handle is None:
                handle = _open_environment(self.environment, self.map_size, db)
                _OPEN[self.environment] = handle
            handle.users.add(id(self))
        self._env = handle
        return handle

    @contextmanager
    def _writing(self, adds: bool = True) -> Iterator[tuple[lmdb.Transaction, _Environment]]:
        """A write transaction under both locks; one that ``adds`` rows is refused while the
        map has less than its reserve left, once the expired rows are culled (ROOM)."""
        if not self._lock.acquire(timeout=LOCK_WAIT):
            raise StoreUnavailable("the state store is busy in this process")
        try:
            _, lock_file = self._open()
            _lock_within(lock_file, LOCK_WAIT)
            try:
                handle = self._environment()
                txn: lmdb.Transaction = handle.env.begin(write=True)
                try:
                    if adds and _room(txn, handle, self.map_size) < self._reserve:
                        txn.abort()
                        txn = self._make_room(handle)
                    yield txn, handle
                except BaseException:
                    txn.abort()
                    raise
                txn.commit()
            except lmdb.MapFullError:
                raise StoreUnavailable(self._full) from None
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    @property
    def _full(self) -> str:
        return f"the state store is full: {self.environment} holds BOT_STATE_MAP_MB"

    def _make_room(self, handle: _Environment) -> lmdb.Transaction:
        """The expired rows culled in transactions of their own, committed whatever the
        write that follows does; that write's transaction, or StoreUnavailable when the
        map is still short of its reserve. A delete copies the pages it touches, so a full
        map of small rows may have room for a few at a time only: the batches halve until
        one commits. A reader killed while reading pins the pages it saw: cleared first."""
        handle.env.reader_check()
        batch, now = CULL_BATCH, time.time()
        while batch:  # every expired row, not just enough: the next write would be short again
            txn = handle.env.begin(write=True)
            try:
                culled = _cull(txn, handle, now, batch)
                txn.commit()
            except lmdb.MapFullError:
                txn.abort()
                batch //= 2
                continue
            if not culled:
                break
        txn = handle.env.begin(write=True)
        if _room(txn, handle, self.map_size) < self._reserve:
            txn.abort()
            raise StoreUnavailable(self._full)
        return txn

    @contextmanager
    def _reading(self) -> Iterator[tuple[lmdb.Transaction, _Environment]]:
        with self._lock:
            handle = self._env
            if (
                handle is None
                or handle.pid != os.getpid()
                or _OPEN.get(self.environment) is not handle
            ):
                _, lock_file = self._open()
                _lock_within(lock_file, LOCK_WAIT)
                try:
                    handle = self._environment()
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)
            try:
                with handle.env.begin() as txn:
                    yield txn, handle
            except lmdb.Error as exc:  # a damaged page: said as any store that cannot answer
                raise StoreUnavailable(f"the state store cannot be read: {exc}") from None

    @contextmanager
    def _durable(self) -> Iterator[sqlite3.Connection]:
        """A transaction on SQLite, inside an LMDB write transaction: committed first, so
        that LMDB never holds a kept key SQLite lacks (a process killed between the two
        commits leaves the row in SQLite only, which the next process to open the
        environment copies in)."""
        db, _ = self._open()
        with _sqlite_transaction(db):
            yield db
            # a few of SQLite's expired rows (revoked sessions) go with each write
            db.execute(
                "DELETE FROM state WHERE key IN (SELECT key FROM state WHERE expires IS NOT"
                " NULL AND expires <= ? AND key != 'probe' LIMIT ?)",
                (time.time(), CULL),
            )

    def _forget_kept(self, keys: list[str]) -> None:
        """The rows of ``keys`` taken out of SQLite: written again with an expiry, or gone."""
        with self._durable() as db:
            db.executemany("DELETE FROM state WHERE key = ?", [(key,) for key in keys])

    def check(self) -> str | None:
        """Why this machine's state cannot be written now (a read-only or damaged file, a full
        disk or map, a lock held too long), or None: /healthz says it, as every message
        would."""
        try:
            with self._writing() as (txn, handle):
                txn.put(b"probe", b"", db=handle.meta)
                full = _room(txn, handle, self.map_size) < self._reserve
                db, _ = self._open()
                with _sqlite_transaction(db):
                    db.execute(_PROBE)
        except (sqlite3.Error, OSError, StoreUnavailable, lmdb.Error) as exc:
            return str(exc)
        if full:
            return self._full
        return None

    def get(self, key: str) -> Any | None:
        with self._reading() as (txn, handle):
            raw = txn.get(key.encode(), db=handle.rows)
            if raw is None:
                return None
            expires, _ = HEAD.unpack_from(raw)
            if expires and expires <= time.time():
                return None
            return json.loads(bytes(raw[HEAD.size :]))

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        with self._writing() as (txn, handle):
            if ttl is not None and ttl <= 0:  # already expired
                self._delete(txn, handle, key)
                return
            text = _dump(value)
            expires = None if ttl is None else time.time() + ttl
            kept = ttl is None or key.startswith(KEPT_THROUGH_UPGRADES)
            if kept:
                with self._durable() as db:
                    db.execute(
                        "INSERT OR REPLACE INTO state VALUES (?, ?, ?)", (key, text, expires)
                    )
            if _put(txn, handle, key, text, expires, kept):
                self._forget_kept([key])

    def add(self, key: str, value: Any, ttl: float | None = None) -> bool:
        now = time.time()
        with self._writing() as (txn, handle):
            if _live(txn, handle, key, now) is not None:
                return False
            if ttl is not None and ttl <= 0:  # would expire at once: only say it was free
                return True
            text = _dump(value)
            expires = None if ttl is None else now + ttl
            kept = ttl is None or key.startswith(KEPT_THROUGH_UPGRADES)
            if kept:
                with self._durable() as db:
                    row = db.execute(
                        f"SELECT value, expires FROM state WHERE key = ? AND {LIVE}", (key, now)
                    ).fetchone()
                    if row is not None:  # in SQLite only: a writer died between the commits
                        _put(txn, handle, key, row[0], row[1], KEPT)
                        return False
                    db.execute("INSERT INTO state VALUES (?, ?, ?)", (key, text, expires))
            if _put(txn, handle, key, text, expires, kept):
                self._forget_kept([key])
            return True

    def _delete(self, txn: lmdb.Transaction, handle: _Environment, key: str) -> None:
        raw = txn.get(key.encode(), db=handle.rows)
        if raw is None:
            return
        expires, kept = HEAD.unpack_from(raw)
        if kept:
            self._forget_kept([key])
        if expires:
            txn.delete(WHEN.pack(int(expires * 1e6)) + key.encode(), db=handle.expiry)
        txn.delete(key.encode(), db=handle.rows)

    def delete(self, key: str) -> None:
        with self._writing(adds=False) as (txn, handle):
            self._delete(txn, handle, key)

    def count(self, key: str, window: Window) -> int:
        now = time.time()
        with self._writing() as (txn, handle):
            found = _live(txn, handle, key, now)
            old = None if found is None else (json.loads(found[0]), found[1])
            value, expires = counted(old, window, now)
            if _put(txn, handle, key, _dump(value), expires, SHORT):
                self._forget_kept([key])
        return int(value)

    def begin(self, turn: Turn, pending: Any) -> Begun:
        # JSON is read and written outside the machine's lock: inside, plan() passes the
        # stamp, the stored reply and the conversation through as the text they are kept as,
        # and only reads the signed URL's digest and the counter
        claim = _dump(pending)
        keys = keys_of(turn)
        small = {turn.signed[0] if turn.signed else None, turn.rate[0] if turn.rate else None}
        now = time.time()
        unkept: list[str] = []
        with self._writing() as (txn, handle):
            rows: dict[str, Row] = {}
            get, table = txn.get, handle.rows
            for key in keys:
                raw = get(key.encode(), db=table)
                if raw is None:
                    continue
                expires = HEAD.unpack_from(raw)[0] or None
                if expires is not None and expires <= now:
                    continue
                text = bytes(raw[HEAD.size :]).decode()
                rows[key] = (json.loads(text) if key in small else text, expires)
            begun, writes = plan(turn, claim, rows, now)
            for key, (value, expires) in writes.items():
                text = value if key == turn.claim else _dump(value)
                if _put(txn, handle, key, text, expires, SHORT):
                    unkept.append(key)
            if unkept:  # rows an earlier release kept in SQLite, written again
                self._forget_kept(unkept)
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
        unkept: list[str] = []
        with self._writing() as (txn, handle):
            for key, text, expires in rows:
                if _put(txn, handle, key, text, expires, SHORT):
                    unkept.append(key)
            if context is None:
                self._delete(txn, handle, turn.context)
            # every message leaves rows that expire: a few are swept with each, so the
            # environment keeps the size of what is live without a sweeper of its own
            _cull(txn, handle, now, CULL)
            if unkept:
                self._forget_kept(unkept)

    def close(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                with _OPEN_LOCK:
                    handle = _OPEN.get(self.environment)
                    if handle is not None and handle.pid == os.getpid():
                        handle.users.discard(id(self))
                        if not handle.users:
                            handle.close()
                            del _OPEN[self.environment]
                if self._db is not None:
                    self._db.close()
                    os.close(self._lock_file)
            self._db = None
            self._env = None


# -- LMDB rows ---------------------------------------------------------------------------


def _live(
    txn: lmdb.Transaction, handle: _Environment, key: str, now: float
) -> tuple[str, float | None] | None:
    raw = txn.get(key.encode(), db=handle.rows)
    if raw is None:
        return None
    expires = HEAD.unpack_from(raw)[0] or None
    if expires is not None and expires <= now:
        return None
    return bytes(raw[HEAD.size :]).decode(), expires


def _put(
    txn: lmdb.Transaction,
    handle: _Environment,
    key: str,
    text: str,
    expires: float | None,
    kept: bool,
) -> bool:
    """Write one row and its place in the expiry table; whether the row it replaced was kept
    in SQLite too (the caller then takes it out there)."""
    name = key.encode()
    old = txn.get(name, db=handle.rows)
    was_kept = False
    if old is not None:
        old_expires, was_kept = HEAD.unpack_from(old)
        if old_expires:
            txn.delete(WHEN.pack(int(old_expires * 1e6)) + name, db=handle.expiry)
    txn.put(name, HEAD.pack(expires or 0.0, kept) + text.encode(), db=handle.rows)
    if expires:
        txn.put(WHEN.pack(int(expires * 1e6)) + name, b"", db=handle.expiry)
    return was_kept and not kept


def _room(txn: lmdb.Transaction, handle: _Environment, map_size: int) -> int:
    """About how many bytes the map has left: its size less the pages the tables hold (free
    pages are taken again). Counted, not tried: a value written and deleted in one
    transaction would leave pages LMDB counts and never writes (_truncated)."""
    stats = [handle.env.stat()] + [txn.stat(db) for db in (handle.rows, handle.expiry, handle.meta)]
    pages = sum(s["branch_pages"] + s["leaf_pages"] + s["overflow_pages"] for s in stats)
    return map_size - (pages + 2) * stats[0]["psize"]  # and the two meta pages


def _cull(txn: lmdb.Transaction, handle: _Environment, now: float, most: int) -> int:
    """Delete up to ``most`` expired rows, the oldest first; how many went."""
    cursor = txn.cursor(db=handle.expiry)
    limit = int(now * 1e6)
    gone = 0
    if not cursor.first():
        return 0
    while gone < most:
        at = cursor.key()  # empty once the cursor ran off the end
        if len(at) <= WHEN.size or (when := WHEN.unpack_from(at)[0]) > limit:
            break
        name = at[WHEN.size :]
        raw = txn.get(name, db=handle.rows)
        if raw is not None and int(HEAD.unpack_from(raw)[0] * 1e6) == when:
            txn.delete(name, db=handle.rows)
        cursor.delete()  # and on to the next entry
        gone += 1
    return gone


# -- the environment: opened, checked, set aside, made -----------------------------------


def _open_environment(path: Path, map_size: int, db: sqlite3.Connection) -> _Environment:
    """The environment at ``path`` if it is this boot's and readable, else a new one there
    with SQLite's live rows in it. The caller holds the machine's lock, so that one process
    only sets an environment aside and makes the next; and it does so only when no other
    process has it open (USERS): one that does is writing into it, and a process that then
    made a new one would split the state in two (a retry answered twice, a rate counted
    apart). Another process's is this boot's, whatever the boot file says, and is what it
    checked when it opened it."""
    users = os.open(path.parent / USERS, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        handle = _checked(path, map_size, db, _alone(users))
        fcntl.flock(users, fcntl.LOCK_SH)  # for as long as this process has it open
    except BaseException:
        os.close(users)
        raise
    handle.in_use = users
    return handle


def _alone(users: int) -> bool:
    """Whether no other process has the environment open (this one's lock is then the
    exclusive one, until it takes the shared one it keeps)."""
    try:
        fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _checked(path: Path, map_size: int, db: sqlite3.Connection, alone: bool) -> _Environment:
    why = _unusable(path)
    if path.exists() and (why is None or not alone):
        try:
            handle = _lmdb(path, map_size)
        except lmdb.Error as exc:
            if not alone:
                raise StoreUnavailable(
                    f"the state folder {path}, which other processes have open, cannot be"
                    f" opened: {exc}"
                ) from None
            why = f"it cannot be read ({exc})"
        else:
            if alone:
                why = _truncated(path, handle)
            if why is None or not alone:
                handle.env.reader_check()  # reader slots of processes killed while reading
                _copy_kept(handle, db)  # a kept row a killed writer left in SQLite only
                return handle
            handle.env.close()
    if path.exists():
        aside = _set_aside(path)
        log.warning(
            "the per-message state was set aside: %s; a new one is made (the secrets and"
            " revoked sessions are kept)",
            why,
            extra={"fields": {"folder": str(path), "set_aside_as": str(aside)}},
        )
    _make(path, map_size, db)
    return _lmdb(path, map_size)


def _unusable(path: Path) -> str | None:
    if not path.exists():
        return "there is none"
    try:
        made = (path / BOOT_FILE).read_text().strip()
    except OSError:
        return "it was never finished"
    if made != boot_id():
        return "it was made before the machine last started, and a crash may have cut it short"
    return None


def _truncated(path: Path, handle: _Environment) -> str | None:
    """Whether the data file was cut short. A page past its end would crash the process
    that reads it (SIGBUS, which no exception catches), but a file shorter than LMDB's last
    page is not always damaged: a page taken and freed in one transaction is counted and
    never written. So a short file is first made as long as LMDB counts, with zeros, where
    the tree can only point if it was cut; then every row is read, which fails on a zero
    page (LMDB checks each page's kind) or a zero value (not JSON). A file of full length,
    the common case, is not read."""
    pages = handle.env.info()["last_pgno"] + 1
    data = path / "data.mdb"
    size = data.stat().st_size
    if size >= pages * handle.env.stat()["psize"]:
        return None
    os.truncate(data, pages * handle.env.stat()["psize"])  # the caller holds the lock
    # read in a child process: a damaged page can also fail one of LMDB's assertions, which
    # aborts the process that reads it
    try:
        child = subprocess.run(  # -P, and from the project: not a bot/ of the caller's folder
            [
                sys.executable,
                "-P",
                "-c",
                _READ_IN_A_CHILD,
                str(path),
                str(handle.env.info()["map_size"]),
            ],
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
            capture_output=True,
            text=True,
            timeout=CHILD_READ_WAIT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        child = None
        said = str(exc)
    if child is None or child.returncode == CANNOT_READ:
        # no evidence of damage: the file, now of full length, is used as it is
        log.warning(
            "the per-message state could not be read through to check it: %s",
            said if child is None else child.stderr.strip(),
            extra={"fields": {"folder": str(path)}},
        )
        return None
    if child.returncode != 0:
        said = (child.stderr.strip().splitlines() or [f"exit status {child.returncode}"])[-1]
        return f"its data file was cut short ({size} bytes for {pages} pages: {said})"
    return None


_READ_IN_A_CHILD = """
import sys
try:
    from bot.state.embedded import _lmdb_at, _read_every_row
except Exception as exc:
    print(exc, file=sys.stderr)
    sys.exit(CANNOT)
_read_every_row(_lmdb_at(sys.argv[1], int(sys.argv[2])))
""".replace("CANNOT", "3")
CANNOT_READ = 3  # the child's exit status when it could not start reading: no evidence


def _lmdb_at(path: str, map_size: int) -> _Environment:
    """The environment opened to be read only, and without its lock file, by a child
    process that reads it through for its parent, which holds the machine's lock."""
    env = lmdb.open(path, map_size=map_size, readonly=True, lock=False, max_dbs=3)
    rows, expiry, meta = (env.open_db(name, create=False) for name in (b"rows", b"expiry", b"meta"))
    return _Environment(env, rows, expiry, meta)


def _read_every_row(handle: _Environment) -> None:
    with handle.env.begin() as txn:
        for _, raw in txn.cursor(db=handle.rows):
            HEAD.unpack_from(raw)
            json.loads(bytes(raw[HEAD.size :]))
        for at, _ in txn.cursor(db=handle.expiry):
            if len(at) <= WHEN.size:
                raise ValueError(f"an expiry entry without a key: {bytes(at)!r}")
        for _ in txn.cursor(db=handle.meta):
            pass


def _lmdb(path: Path, map_size: int) -> _Environment:
    env = lmdb.open(
        str(path),
        map_size=map_size,
        subdir=True,
        sync=False,  # the per-message state may be lost in a machine crash (the docstring)
        metasync=False,
        writemap=False,  # a full disk is then a write error, not a SIGBUS
        readahead=False,
        max_dbs=3,
        max_readers=1024,  # one slot a reading thread, while it reads
    )
    try:
        return _Environment(env, env.open_db(b"rows"), env.open_db(b"expiry"), env.open_db(b"meta"))
    except BaseException:
        env.close()
        raise


def _make(path: Path, map_size: int, db: sqlite3.Connection) -> None:
    """A new environment with SQLite's live rows in it, made beside ``path`` and renamed into
    place once it is whole, so that a process killed meanwhile leaves nothing half made."""
    for stale in path.parent.glob(f"{path.name}.new-*"):  # left by a process killed making one
        shutil.rmtree(stale, ignore_errors=True)
    staging = path.with_name(f"{path.name}.new-{os.getpid()}")
    handle = _lmdb(staging, map_size)
    try:
        _copy_kept(handle, db)
        handle.env.sync(True)
    finally:
        handle.env.close()
    boot = staging / BOOT_FILE
    with boot.open("w") as file:
        file.write(boot_id())
        file.flush()
        os.fsync(file.fileno())
    os.rename(staging, path)
    _sync_folder(path.parent)


def _copy_kept(handle: _Environment, db: sqlite3.Connection) -> None:
    """SQLite's live rows into the environment, marked as kept there too."""
    now = time.time()
    found = db.execute(
        f"SELECT key, value, expires FROM state WHERE {LIVE} AND key != 'probe'", (now,)
    ).fetchall()
    with handle.env.begin(write=True) as txn:
        for key, text, expires in found:
            _put(txn, handle, key, text, expires, KEPT)


def _set_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    aside = path.with_name(f"{path.name}.aside-{stamp}-{os.getpid()}")
    os.rename(path, aside)
    earlier = sorted(path.parent.glob(f"{path.name}.aside-*"), key=lambda p: p.stat().st_mtime)
    for old in earlier[:-ASIDE_KEPT]:
        shutil.rmtree(old, ignore_errors=True)
    return aside


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- SQLite ------------------------------------------------------------------------------


@contextmanager
def _sqlite_transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


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
