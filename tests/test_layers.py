"""The import rules of the README's Layout: import-linter's contracts (pyproject.toml), and
a second reading of every import statement, at any depth (inside functions, under
TYPE_CHECKING), that fails on its own should import-linter ever stop seeing one."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from bot.config import PROJECT_ROOT

PACKAGES = ("bot", "handlers", "knowledge")
# Rank of each part: a module may import its own part and parts of a lower rank only.
# bot.web and bot.cli share a rank but may not import each other; so do bot.qa and
# bot.state; bot.wechat's reply limit (bot.wechat.limits) is the one WeChat module the
# parts below handlers may use.
RANKS = {
    "bot.web": 6,
    "bot.cli": 6,
    "handlers": 5,
    "bot.chat": 4,
    "bot.config": 3,
    "bot.qa": 2,
    "bot.state": 2,
    "bot.wechat": 1,
    "knowledge": 0,
}
SHARED = {"bot.log", "bot.wechat.limits", "bot"}  # usable by any part


def _part(module: str) -> str | None:
    for part in sorted(RANKS, key=len, reverse=True):
        if module == part or module.startswith(part + "."):
            return part
    return None


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, name: str, modules: dict[str, Path]) -> list[tuple[str, int]]:
    """Every first-party module ``path`` imports, with the line, wherever the statement is."""
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:  # `from package import module` imports the module
                sub = f"{source}.{alias.name}"
                out.append((sub if sub in modules else source, node.lineno))
    return [(m, line) for m, line in out if m.split(".")[0] in PACKAGES]


def test_the_import_linter_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_every_import_statement_runs_down_the_layers():
    modules = _modules()
    wrong = []
    for name, path in sorted(modules.items()):
        mine = _part(name)
        for target, line in _imports(path, name, modules):
            theirs = _part(target)
            if name in SHARED or target in SHARED or mine is None or theirs is None:
                continue
            if mine == theirs:
                continue
            if RANKS[theirs] >= RANKS[mine]:
                wrong.append(f"{path.relative_to(PROJECT_ROOT)}:{line}: {name} -> {target}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_no_module_imports_itself_back():
    """No cycle between modules, counting imports inside functions and for type checking."""
    modules = _modules()
    graph = {
        name: {t for t, _ in _imports(path, name, modules) if t in modules and t != name}
        for name, path in modules.items()
    }
    # a package's __init__ importing its own modules, which import names from the package
    # (its public interface), is how a package is made, not a cycle between parts
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_blueprint_imports_the_app_module():
    """The blueprints read the services from ``current_app.extensions`` (bot.web.services):
    one importing bot.web.app back would be the cycle the app factory was split to end."""
    modules = _modules()
    back = [
        f"{name} -> bot.web.app"
        for name, path in modules.items()
        if name.startswith("bot.web.") and name != "bot.web.app"
        if any(target == "bot.web.app" for target, _ in _imports(path, name, modules))
    ]
    assert not back, back
