"""Retrieval: this project's BM25 index against rank-bm25 and bm25s, on synthetic passages.

Passages (40-80 words) and queries (2-6 words) are words drawn by frequency from jieba's
own dictionary, so term statistics look like Chinese text: a few words are in nearly every
passage, most are rare. All three engines get the same pre-tokenized corpus and queries.
rank-bm25's ``get_scores`` is the definition of the score; the run checks that this
project's index reproduces it and ranks the same top-k.

Usage: ``python -m bench retrieval [--sizes 1000,10000,100000] [--queries 200]``
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

import bm25s
import jieba
import numpy as np
from rank_bm25 import BM25Okapi

from bot.cli.evaluation import DEV_SET
from knowledge import build_knowledge_base
from knowledge.index import BM25Index
from knowledge.tokenizer import Tokenizer

SIZES = (1_000, 10_000, 100_000)
QUERIES = 200
K = 5
# A full rank-bm25 scan costs ~0.1 s a query at 100k passages; a sample is enough there.
RANK_BM25_MAX_QUERIES = 30
SEED = 20170611
DEV_FILE = DEV_SET

Corpus = list[list[str]]


def dictionary() -> tuple[list[str], np.ndarray]:
    """jieba's dictionary words and their probabilities (by the dictionary's counts)."""
    words, counts = [], []
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as f:
        for line in f:
            word, count, *_ = line.split()
            words.append(word)
            counts.append(int(count))
    weights = np.array(counts, dtype=np.float64)
    return words, weights / weights.sum()


def draw(rng: np.random.Generator, words: list[str], p: np.ndarray, lengths: np.ndarray) -> Corpus:
    picks = rng.choice(len(words), size=int(lengths.sum()), p=p)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return [[words[i] for i in picks[a:b]] for a, b in itertools.pairwise(bounds)]


def measure_build(build: Callable[[], object]) -> tuple[object, float, float]:
    """(built object, seconds, peak MiB allocated while building: a second, traced build)."""
    gc.collect()
    start = time.perf_counter()
    built = build()
    seconds = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()
    build()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return built, seconds, peak


def latencies_ms(search: Callable[[list[str]], object], queries: Corpus) -> np.ndarray:
    for query in queries[:5]:  # warm-up
        search(query)
    times = []
    for query in queries:
        start = time.perf_counter()
        search(query)
        times.append(time.perf_counter() - start)
    return np.array(times) * 1000


def reference_top(scores: np.ndarray, k: int) -> list[int]:
    """Top-k by score, ties by lower index, positive scores only: the search contract."""
    order = np.lexsort((np.arange(len(scores)), -scores))[:k]
    return [int(i) for i in order if scores[i] > 0]


def run_size(corpus: Corpus, queries: Corpus) -> tuple[list[list[str]], str]:
    n = len(corpus)
    ours, ours_s, ours_mib = measure_build(lambda: BM25Index(corpus))
    okapi, okapi_s, okapi_mib = measure_build(lambda: BM25Okapi(corpus))

    def build_bm25s() -> bm25s.BM25:
        retriever = bm25s.BM25(k1=1.5, b=0.75)
        retriever.index(corpus, show_progress=False)
        return retriever

    retriever, bm25s_s, bm25s_mib = measure_build(build_bm25s)

    sample = queries[: min(len(queries), RANK_BM25_MAX_QUERIES if n >= 100_000 else len(queries))]
    ours_ms = latencies_ms(lambda q: ours.search(q, K), queries)
    bm25s_ms = latencies_ms(
        lambda q: retriever.retrieve([q], k=K, show_progress=False, n_threads=0), queries
    )
    okapi_ms = latencies_ms(okapi.get_scores, sample)

    max_diff, same_top = 0.0, 0
    for query in sample:
        expected = okapi.get_scores(query)
        max_diff = max(max_diff, float(np.abs(ours.scores(query) - expected).max()))
        same_top += [i for i, _ in ours.search(query, K)] == reference_top(expected, K)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.npz"
        start = time.perf_counter()
        ours.save(path)
        saved = time.perf_counter()
        BM25Index.load(path)
        loaded = time.perf_counter()
        size_mib = path.stat().st_size / 2**20
    check = (
        f"{n:,} passages: max |score - rank-bm25| = {max_diff:.1e} over {len(sample)} queries; "
        f"top-{K} identical for {same_top}/{len(sample)}; "
        f"save {saved - start:.2f} s, load {loaded - saved:.2f} s, file {size_mib:.0f} MiB"
    )

    def row(engine: str, build_s: float, mib: float, ms: np.ndarray) -> list[str]:
        p50, p99 = np.percentile(ms, [50, 99])
        return [
            f"{n:,}",
            engine,
            f"{build_s:.2f}",
            f"{mib:.0f}",
            f"{p50:.3f}",
            f"{p99:.3f}",
            str(len(ms)),
        ]

    rows = [
        row("this project (BM25Index.search)", ours_s, ours_mib, ours_ms),
        row("bm25s 0.3.16 retrieve (numpy)", bm25s_s, bm25s_mib, bm25s_ms),
        row("rank-bm25 get_scores (full scan)", okapi_s, okapi_mib, okapi_ms),
    ]
    return rows, check


def tokenizer_startup() -> list[str]:
    """Seconds to import and build a Tokenizer in a fresh interpreter, without and with cache."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from knowledge.tokenizer import Tokenizer\n"
        "i = time.perf_counter(); Tokenizer(cache_dir={d!r}); e = time.perf_counter()\n"
        "print(f'{{i - t:.3f}} {{e - i:.3f}}')\n"
    )
    root = Path(__file__).resolve().parent.parent
    lines = []
    with tempfile.TemporaryDirectory() as cache_dir:
        for label in ("no cache yet (builds it from dict.txt)", "cache present"):
            out = subprocess.run(
                [sys.executable, "-c", code.format(d=cache_dir)],
                cwd=root,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            lines.append(f"- Tokenizer(), {label}: import {out[0]} s, construction {out[1]} s")
    return lines


def dev_recall(dev_file: Path) -> list[str]:
    """Share of in-domain dev questions with an expected answer in the top 3, per tokenizer.

    A passage counts when it contains one of ``expect_any`` (whitespace ignored, since the
    report's PDF text is spaced irregularly). Documents and questions share the tokenizer.
    """
    questions = [json.loads(line) for line in dev_file.read_text(encoding="utf-8").splitlines()]
    questions = [q for q in questions if is_answerable(q)]
    passages = build_knowledge_base(
        Path(__file__).resolve().parent.parent / "knowledge" / "sources"
    ).passages
    texts = ["".join(p.text.split()) for p in passages]
    lines = []
    for label, tokenizer in (
        ("jieba words only", Tokenizer(subwords=False)),
        ("jieba words + dictionary sub-words (used)", Tokenizer()),
    ):
        index = BM25Index([tokenizer.tokenize(p.text) for p in passages])
        top1 = top3 = 0
        for q in questions:
            expected = ["".join(e.split()) for e in q["expect_any"]]
            found = [
                any(e in texts[i] for e in expected)
                for i, _ in index.search(tokenizer.tokenize(q["q"]), 3)
            ]
            top1 += bool(found) and found[0]
            top3 += any(found)
        lines.append(
            f"- {label}: top-1 {top1}/{len(questions)}, top-3 {top3}/{len(questions)} "
            f"({len(passages)} passages)"
        )
    return lines


def is_answerable(question: dict[str, object]) -> bool:
    return not question.get("ood") and bool(question.get("expect_any"))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench retrieval")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--queries", type=int, default=QUERIES)
    parser.add_argument("--dev", default=str(DEV_FILE), help="dev QA set for top-3 recall")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))

    rng = np.random.default_rng(SEED)
    words, p = dictionary()
    corpus = draw(rng, words, p, rng.integers(40, 81, size=sizes[-1]))
    queries = draw(rng, words, p, rng.integers(2, 7, size=args.queries))

    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor() or "unknown CPU",
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    print(
        f"Machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    print(
        f"Corpus: words drawn by frequency from jieba's dict.txt, 40-80 a passage; "
        f"{len(queries)} queries of 2-6 words; seed {SEED}; k={K}.\n"
    )

    rows, checks = [], []
    for n in sizes:
        size_rows, check = run_size(corpus[:n], queries)
        rows += size_rows
        checks.append(check)
        print(check, flush=True)
    header = ["passages", "engine", "build s", "build peak MiB", "p50 ms", "p99 ms", "queries"]
    print()
    print(table(header, rows))
    print()
    print("\n".join(tokenizer_startup()))
    dev_file = Path(args.dev)
    if dev_file.exists():
        print(f"\nDev set ({dev_file.name}): an expected answer among the top passages")
        print("\n".join(dev_recall(dev_file)))
    else:
        print(f"\n(no dev set at {dev_file}: top-3 recall skipped)")
    return 0
