"""The README documents what the code reads: a setting nobody can find is a setting nobody
can use (as Datasette's test_docs does for its settings)."""

from __future__ import annotations

import re

from bot.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text("utf-8")
SOURCES = ["bot/config.py", "gunicorn.conf.py", "Makefile"]


def settings_read() -> set[str]:
    found: set[str] = set()
    for name in SOURCES:
        text = (PROJECT_ROOT / name).read_text("utf-8")
        found |= set(re.findall(r"""env(?:iron)?\.get\(\s*["']([A-Z][A-Z0-9_]+)["']""", text))
        found |= set(
            re.findall(r"""_(?:count|number)\(\s*env,\s*["']([A-Z][A-Z0-9_]+)["']""", text)
        )
    return found


def test_every_setting_the_code_reads_is_in_the_readme_table():
    settings = settings_read()
    assert {"WECHAT_ENCRYPT_MODE", "BOT_MAX_DOCUMENT_MB", "WECHAT_TOKEN"} <= settings
    missing = sorted(s for s in settings if f"`{s}`" not in README)
    assert not missing, f"settings read but not documented in README.md: {missing}"


def test_every_lexicon_file_is_described():
    for path in (PROJECT_ROOT / "bot" / "qa" / "lexicon").glob("*.txt"):
        assert path.name in README or path.name in (
            PROJECT_ROOT / "bot" / "qa" / "lexicon" / "__init__.py"
        ).read_text("utf-8"), path.name
