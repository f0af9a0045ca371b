"""Load with wrk and bench/wechat.lua: the script's settings file, the run, the parsed output.

wrk prints its own summary (``--latency`` adds the percentile table) and the script's
``done()`` adds one ``WRK_JSON {...}`` line with the exact figures and what the replies
were (answers with a 出处 block, apologies, non-200). Both are parsed; the JSON line is
authoritative and the text is checked against it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.cli.evaluation import DEV_SET

SCRIPT = Path(__file__).resolve().parent / "wechat.lua"
DEV_FILE = DEV_SET
ANSWER_MARKER = "出处"  # every grounded answer ends with its sources
SORRY_MARKER = "系统暂时出了点问题"  # the webhook's reply when handling a message failed
ACCOUNT = "gh_forumbot00000"
LUA_CLOSE = "]==]"


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed something this parser does not understand."""


@dataclass(frozen=True)
class WrkResult:
    seconds: float
    requests: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: dict[str, int]  # connect, read, write, timeout
    ok: int  # 200 responses
    answered: int  # 200 responses with a 出处 block
    sorry: int  # 200 responses carrying the apology for a failed message
    timeline: list[tuple[int, int, int, int, int]] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def wrk_path() -> str | None:
    return shutil.which("wrk")


def questions(dev_file: Path = DEV_FILE) -> list[str]:
    """The in-domain questions of the dev set: real questions about the forum, each of which
    the bot should answer with sources."""
    rows = [json.loads(line) for line in dev_file.read_text(encoding="utf-8").splitlines() if line]
    return [r["q"] for r in rows if not r.get("ood") and r.get("expect_any")]


def lua_string(text: str) -> str:
    if LUA_CLOSE in text or "\n" in text:
        raise ValueError(f"cannot pass {text!r} to the Lua script")
    return "[==[" + text + LUA_CLOSE


_last_prefix = 0


def run_prefix() -> str:
    """The first digits of every MsgId of one wrk run: seconds since the epoch (mod 10^7),
    never the same twice in a process. wrk's counters start again at 0 every run, so a
    prefix shared by two runs would make the second one's messages retries, answered from
    the store without any work."""
    global _last_prefix
    _last_prefix = max(_last_prefix + 1, int(time.time()) % 10**7)
    return f"{_last_prefix:07d}"


# Users the load comes from: enough that none of them trips the per-user rate limit
# (BOT_RATE_LIMIT, 20 a minute by default) at a thousand requests a second, which a real
# account's many users would not either; each message still pays for the limit's counter.
USERS = 1_000_000


def write_config(path: Path, token: str, asked: Sequence[str], users: int = USERS) -> Path:
    """The settings file wechat.lua loads, with a fresh MsgId prefix: write one per run."""
    lines = [
        "return {",
        f"  token = {lua_string(token)},",
        f"  account = {lua_string(ACCOUNT)},",
        f'  prefix = "{run_prefix()}",',
        f"  users = {users},",
        f"  answer_marker = {lua_string(ANSWER_MARKER)},",
        f"  sorry_marker = {lua_string(SORRY_MARKER)},",
        "  questions = {",
        *(f"    {lua_string(q)}," for q in asked),
        "  },",
        "}",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Load:
    """What wrk sends: signed with ``token``, ``questions`` in turn; settings files go to
    ``folder``, a new one for every run."""

    folder: Path
    token: str
    questions: Sequence[str]

    def config(self) -> Path:
        return write_config(self.folder / f"wechat-{run_prefix()}.lua", self.token, self.questions)


def command(url: str, config: Path, seconds: float, connections: int, threads: int) -> list[str]:
    wrk = wrk_path()
    if wrk is None:
        raise WrkError("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    return [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        "--latency",
        f"--script={SCRIPT}",
        url,
        "--",
        str(config),
    ]


def start(url: str, load: Load, seconds: float, connections: int, threads: int):
    """wrk in the background, for scenarios that do something while it runs."""
    return subprocess.Popen(
        command(url, load.config(), seconds, connections, threads),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen) -> WrkResult:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise WrkError(f"wrk exited with {process.returncode}:\n{out}")
    return parse(out)


def run(url: str, load: Load, seconds: float, connections: int, threads: int) -> WrkResult:
    return finish(start(url, load, seconds, connections, threads))


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * _UNITS_MS[unit]


def parse(out: str) -> WrkResult:
    """The figures of one wrk run, from the script's JSON line, checked against the text."""
    line = next((x for x in out.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise WrkError(f"no WRK_JSON line in wrk's output (is done() in the script?):\n{out}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    text = parse_text(out)
    errors = data["errors"]
    result = WrkResult(
        seconds=data["duration_us"] / 1e6,
        requests=data["requests"],
        p50_ms=data["latency_us"]["p50"] / 1000,
        p90_ms=data["latency_us"]["p90"] / 1000,
        p99_ms=data["latency_us"]["p99"] / 1000,
        max_ms=data["latency_us"]["max"] / 1000,
        non_2xx=errors["status"],
        socket_errors={k: errors[k] for k in ("connect", "read", "write", "timeout")},
        ok=data["ok"],
        answered=data["answered"],
        sorry=data["sorry"],
        timeline=[tuple(x) for x in data["timeline"]],
    )
    if text.get("requests") is not None and text["requests"] != result.requests:
        raise WrkError(f"wrk's text and JSON disagree on the request count:\n{out}")
    return result


def parse_text(out: str) -> dict[str, object]:
    """wrk's human summary: request count, Requests/sec, the --latency percentiles, non-2xx
    responses and socket errors (the lines wrk leaves out when there are none read as 0)."""
    found: dict[str, object] = {"non_2xx": 0, "socket_errors": {}}
    match = re.search(r"^\s*(\d+) requests in ([\d.]+\w+), ", out, re.MULTILINE)
    if match:
        found["requests"] = int(match.group(1))
    match = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    if match:
        found["rps"] = float(match.group(1))
    percentiles = re.findall(r"^\s+(\d+)%\s+([\d.]+(?:us|ms|s|m))\s*$", out, re.MULTILINE)
    found["latency_ms"] = {int(p): _ms(v) for p, v in percentiles}
    match = re.search(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", out, re.MULTILINE)
    if match:
        found["non_2xx"] = int(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if match:
        found["socket_errors"] = dict(
            zip(("connect", "read", "write", "timeout"), map(int, match.groups()), strict=True)
        )
    return found


def pause(seconds: float) -> None:
    """Let the machine settle between two loads (TIME_WAIT sockets, page cache, the CPU)."""
    time.sleep(seconds)
