"""Where the machine's CPU went during one load: the server, wrk, and everything else.

The load generator shares the machine with the server, and the machine may be shared with
other work; a throughput figure means little without knowing how much CPU the server
actually got. Linux only (``/proc``); elsewhere the figures are left out.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class CpuShare:
    """CPU seconds per wall second (2.0 = both cores of a 2-core machine, busy)."""

    server: float
    wrk: float
    other: float
    steal: float


def machine() -> tuple[float, float]:
    """(busy, stolen) CPU seconds since boot, all cores."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq) / TICK, steal / TICK


def process(pid: int, reaped: bool = False) -> float:
    """CPU seconds used so far by a live process (and, with ``reaped``, by its children that
    have exited and been waited for: gunicorn's master reaps a killed worker)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(stat[11]) + int(stat[12])  # utime, stime
    if reaped:
        ticks += int(stat[13]) + int(stat[14])  # cutime, cstime
    return ticks / TICK


def server_cpu(master: int, workers: Callable[[], list[int]]) -> float:
    """A gunicorn's CPU seconds so far: the master, its live workers, its reaped ones."""
    return process(master, reaped=True) + sum(process(pid) for pid in workers())


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    master: int, workers: Callable[[], list[int]], run: Callable[[], object]
) -> tuple[object, CpuShare]:
    """Run ``run()`` (which starts and reaps wrk) and split the machine's CPU meanwhile."""
    if not Path("/proc/stat").exists():
        return run(), CpuShare(float("nan"), float("nan"), float("nan"), float("nan"))
    busy0, steal0 = machine()
    server0, wrk0, wall0 = server_cpu(master, workers), children_cpu(), time.perf_counter()
    result = run()
    wall = time.perf_counter() - wall0
    busy1, steal1 = machine()
    server = server_cpu(master, workers) - server0
    wrk = children_cpu() - wrk0
    other = max(0.0, (busy1 - busy0) - server - wrk)
    return result, CpuShare(server / wall, wrk / wall, other / wall, (steal1 - steal0) / wall)
