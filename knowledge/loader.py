"""Reads the knowledge folder: every .txt and .md file, strictly decoded.

UTF-8 is expected (a byte-order mark is fine). Chinese files saved by older Windows tools are
often GB18030 (a superset of GBK and GB2312); those are accepted with a warning that names the
file, because guessing wrong silently would put garbage into answers. Anything else is refused
with an error naming the file, and the base that is serving stays as it was.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.model import Document
from knowledge.synonyms import FILE_NAME as SYNONYMS_FILE

SUFFIXES = (".txt", ".md")
MARKDOWN_SUFFIXES = (".md",)

log = logging.getLogger(__name__)

# ---\nkey: value\n---\n at the very top of a markdown file.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_META_LINE = re.compile(r"(?P<key>[A-Za-z_][\w-]*)[ \t]*:[ \t]*(?P<value>.*)")


def list_sources(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise KnowledgeError("knowledge folder does not exist", str(folder))
    # A link that leads nowhere is listed too: loading it then names it as unreadable,
    # instead of the document silently dropping out of the knowledge.
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in SUFFIXES
        and p.name != SYNONYMS_FILE
        and (p.is_file() or (p.is_symlink() and not p.exists()))
    )


def decode(raw: bytes, name: str) -> tuple[str, list[str]]:
    """The text of a file and any warnings; KnowledgeError naming the file if it is not text."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise KnowledgeError("saved as UTF-16 (byte-order mark); save it as UTF-8", name)
    if b"\x00" in raw:
        raise KnowledgeError("not a text file (it contains NUL bytes); save it as UTF-8", name)
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise KnowledgeError(
            f"neither UTF-8 (invalid byte at {utf8_error.start}) nor GB18030; save it as UTF-8",
            name,
        ) from utf8_error
    warning = "decoded as GB18030 because it is not valid UTF-8; save it as UTF-8"
    log.warning("%s: %s", name, warning)
    return text, [warning]


def parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """``key: value`` lines between ``---`` fences at the top of a markdown file, and the
    rest of the text. Only flat string values are read; that is all a citation needs."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group("body").splitlines():
        if field := _META_LINE.fullmatch(line.strip()):
            value = field.group("value").strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            meta[field.group("key").lower()] = value
    return meta, text[match.end() :]


def load_document(path: Path) -> Document:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"cannot read file ({exc.strerror})", path.name) from exc
    text, notes = decode(raw, path.name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    markdown = path.suffix.lower() in MARKDOWN_SUFFIXES
    meta: dict[str, str] = {}
    if markdown:
        meta, text = parse_front_matter(text)
    return Document(
        name=path.name,
        title=meta.get("title") or path.stem,
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
        meta=meta,
        format="markdown" if markdown else "text",
        notes=tuple(notes),
    )
