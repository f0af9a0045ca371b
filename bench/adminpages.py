"""The admin pages with a big query log: what reading a million logged questions costs.

``python -m bench adminpages [--rows 1000000]`` fills a query log in a temporary data
folder with ``--rows`` questions over the last 30 days (a third unanswered or unsure, drawn
from a few thousand wordings), then times what the admin pages read, each 5 times after
one warm-up: the Unanswered list, the summary the status page shows, and the two pages
whole through Flask's test client, logged in. Target: every page under 300 ms.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bot.state.querylog import SCHEMA, QueryLog, topic

ROUNDS = 5


def fill(path: Path, rows: int, seed: int = 20170611) -> None:
    rng = random.Random(seed)
    wordings = [f"问题{n}：论坛的{rng.choice('甲乙丙丁戊')}{n % 97}是什么？" for n in range(5000)]
    now = time.time()
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    batch = []
    for n in range(rows):
        question = rng.choice(wordings)
        answered = rng.random() > 0.2
        confident = answered and rng.random() > 0.15
        batch.append(
            (
                now - rng.random() * 30 * 86400,
                f"user{n % 20000}",
                "wechat",
                question,
                topic(question),
                int(answered),
                int(confident),
                rng.random() * 20,
                rng.random(),
                "[]",
                rng.random() * 50,
                "v1",
            )
        )
        if len(batch) == 50_000:
            db.executemany(
                "INSERT INTO questions (at, user, channel, question, topic, answered,"
                " confident, top_score, coverage, cited, latency_ms, version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            batch = []
    if batch:
        db.executemany(
            "INSERT INTO questions (at, user, channel, question, topic, answered, confident,"
            " top_score, coverage, cited, latency_ms, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    db.commit()
    db.close()


def timed(call) -> tuple[float, float]:
    call()
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench adminpages", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        started = time.perf_counter()
        fill(data / QueryLog.FILE_NAME, args.rows)
        print(f"filled {args.rows:,} questions in {time.perf_counter() - started:.1f} s")
        log = QueryLog.in_data_dir(data)

        from bot.config import Config
        from bot.web import create_app

        app = create_app(Config(data_dir=data, admin_token="bench-admin-token"))
        client = app.test_client()
        page = client.get("/admin/login").text
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/admin/login", data={"token": "bench-admin-token", "csrf_token": csrf})
        print("| what | median ms | max ms |")
        print("|---|---|---|")
        for label, call in [
            ("QueryLog.unanswered(200, 30 days)", lambda: log.unanswered(200, 30)),
            ("QueryLog.summary(7 days)", lambda: log.summary(7)),
            ("GET /admin/unanswered", lambda: client.get("/admin/unanswered")),
            ("GET /admin (status)", lambda: client.get("/admin")),
        ]:
            median, worst = timed(call)
            print(f"| {label} | {median:.0f} | {worst:.0f} |", flush=True)
    return 0
