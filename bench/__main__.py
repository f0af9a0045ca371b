"""Run every benchmark in this package, or the one named on the command line.

A benchmark is a module with a ``main(argv)``; helpers start with an underscore, the apps
the webhook bench serves (``floor``, ``stateless``) have no ``main``, and the load test runs
only when named (``make loadtest``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench

NOT_BENCHMARKS = {"floor", "stateless"}  # apps served by gunicorn, measured by webhook
ONLY_WHEN_NAMED = {"loadtest"}  # kills workers and stops Redis: not part of ``make bench``


def available() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if not m.name.startswith("_") and m.name not in NOT_BENCHMARKS
    )


def main(argv: list[str]) -> int:
    names = available()
    if argv and argv[0] in ("-h", "--help"):
        print("usage: python -m bench [NAME [options]]   benchmarks: " + ", ".join(names))
        return 0
    if argv and argv[0] not in names:
        print(f"unknown benchmark {argv[0]!r}; choose from: {', '.join(names)}", file=sys.stderr)
        return 2
    if argv:  # one benchmark, the rest of the command line is its options
        return importlib.import_module(f"bench.{argv[0]}").main(argv[1:]) or 0
    status = 0
    for name in (n for n in names if n not in ONLY_WHEN_NAMED):
        print(f"\n## {name}\n", flush=True)
        status = importlib.import_module(f"bench.{name}").main([]) or status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
