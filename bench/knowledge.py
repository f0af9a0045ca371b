"""Start and reload: the whole pipeline (load, repair, split, tokenize, index) at scale.

A synthetic knowledge folder is written for each size: markdown documents of sections and
paragraphs whose sentences are words drawn by frequency from jieba's dictionary, sized so
that one paragraph makes one passage. For each size, in a fresh process each time (so
memory and caches are what a server would see):

* build: a reload or a start with nothing cached (repair, split, tokenize, index);
* restart: a start with the folder unchanged, which reads the build cache;
* answer: the first answer after the restart, and the process's peak resident memory.

The report alone is measured the same way, plus ``python -m bot ask`` from process start
to printed answer, cold (empty data dir) and warm.

Usage: ``python -m bench knowledge [--sizes 1000,10000,100000]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.retrieval import SEED, dictionary, table
from bot.config import PROJECT_ROOT

SIZES = (1_000, 10_000, 100_000)
PASSAGES_PER_DOCUMENT = 500
SECTION_EVERY = 10  # paragraphs per section
QUESTION = "论坛在哪里举行？"

# Run in a child process: build (or load) the folder, answer one question, report.
CHILD = """
import json, resource, sys, time
started = time.perf_counter()
from knowledge import build_knowledge_base
from bot.qa.answer import compose_answer
imported = time.perf_counter()
kb = build_knowledge_base(sys.argv[1], sys.argv[2])
built = time.perf_counter()
answer = compose_answer(kb, sys.argv[3])
done = time.perf_counter()
print(json.dumps({
    "passages": len(kb.passages),
    "import_s": imported - started,
    "build_s": built - imported,
    "answer_ms": (done - built) * 1000,
    "total_s": done - started,
    "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def write_folder(folder: Path, n_passages: int, seed: int = SEED) -> None:
    """Documents whose paragraphs are 2-3 sentences of 8-14 words: one passage each."""
    rng = np.random.default_rng(seed)
    words, p = dictionary()
    picks = iter(rng.choice(len(words), size=n_passages * 40, p=p))
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(0, n_passages, PASSAGES_PER_DOCUMENT):
        lines = [f"---\ntitle: 合成文档{d // PASSAGES_PER_DOCUMENT:04d}\n---\n"]
        for i in range(d, min(d + PASSAGES_PER_DOCUMENT, n_passages)):
            if (i - d) % SECTION_EVERY == 0:
                lines.append(f"## 第{(i - d) // SECTION_EVERY + 1}节\n")
            sentences = []
            for _ in range(int(rng.integers(2, 4))):
                n = int(rng.integers(8, 15))
                sentences.append("".join(words[next(picks)] for _ in range(n)) + "。")
            lines.append("".join(sentences) + "\n")
        text = "\n".join(lines)
        (folder / f"doc{d // PASSAGES_PER_DOCUMENT:04d}.md").write_text(text, "utf-8")


def run_child(folder: Path, cache: Path, question: str = QUESTION) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), str(cache), question],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def cli_start(data_dir: Path) -> float:
    """Seconds from starting ``python -m bot ask`` to its printed answer."""
    env = {**os.environ, "BOT_DATA_DIR": str(data_dir)}
    env.pop("BOT_KNOWLEDGE_DIR", None)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "bot", "ask", QUESTION],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    took = time.perf_counter() - started
    assert "出处" in out, out
    return took


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench knowledge")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        report = PROJECT_ROOT / "knowledge" / "sources"
        cold, warm = cli_start(root / "cli"), cli_start(root / "cli")
        print(f"python -m bot ask, process start to answer: cold {cold:.2f} s, warm {warm:.2f} s")
        folders = [("report", report)]
        for size in sizes:
            folder = root / f"synthetic-{size}"
            write_folder(folder, size)
            folders.append((f"{size:,}", folder))
        for name, folder in folders:
            cache = root / f"cache-{name}"
            build = run_child(folder, cache)
            restart = run_child(folder, cache)
            rows.append(
                [
                    name,
                    f"{build['passages']:,}",
                    f"{build['build_s']:.2f}",
                    f"{build['rss_mib']:.0f}",
                    f"{restart['build_s']:.2f}",
                    f"{restart['total_s']:.2f}",
                    f"{restart['answer_ms']:.1f}",
                    f"{restart['rss_mib']:.0f}",
                ]
            )
            print("  " + " | ".join(rows[-1]), flush=True)
            shutil.rmtree(cache, ignore_errors=True)
    print()
    print(
        table(
            [
                "knowledge",
                "passages",
                "build s",
                "build peak RSS MiB",
                "restart load s",
                "restart to answer s",
                "first answer ms",
                "serving RSS MiB",
            ],
            rows,
        )
    )
    print(
        f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
        f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
        " MiB"
    )
    return 0
