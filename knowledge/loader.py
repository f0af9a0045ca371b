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
import stat
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


DEFAULT_MAX_DOCUMENT_BYTES = 32 * 1024 * 1024  # the 100,000-passage benchmark in one file fits


def list_sources(folder: Path, max_bytes: int | None = None) -> list[Path]:
    """The documents of a folder, each checked before anything is read: a regular file, or
    a link to one inside the folder (a link to /etc/passwd would put it in answers), and at
    most ``max_bytes`` (a document too large to build within a request's deadline). The
    first one that is not is refused with KnowledgeError naming it, so a reload is refused
    at once and nothing changes anywhere."""
    if not folder.is_dir():
        raise KnowledgeError("knowledge folder does not exist", str(folder))
    root = folder.resolve()
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in SUFFIXES or path.name.startswith(HIDDEN):
            continue  # hidden files: an editor's or a copy tool's, never meant to be answered
        check_entry(path, root, max_bytes)
        if path.name != SYNONYMS_FILE:
            found.append(path)
    return found


HIDDEN = (".", "~$")  # what hidden files' and office lock files' names start with


def hidden_sources(folder: Path) -> list[str]:
    """Hidden files named like documents (``.draft.txt``, an editor's ``.#notes.md`` lock,
    an office suite's ``~$notes.txt`` lock):
    skipped by ``list_sources``, and named in the reload's warnings so that an admin who
    meant one to be loaded sees why it is not. Editors' backups (``notes.txt~``,
    ``.notes.txt.swp``) do not end in a document suffix and are never read either."""
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name.startswith(HIDDEN) and p.suffix.lower() in SUFFIXES
    )


def check_entry(path: Path, root: Path, max_bytes: int | None = None) -> None:
    """KnowledgeError naming ``path`` unless it is a regular file (or a link to one) inside
    ``root``, of at most ``max_bytes``."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise KnowledgeError("a link that leads nowhere", path.name) from None
        if not target.is_relative_to(root):
            raise KnowledgeError(
                "a link to a file outside the knowledge folder; copy the file in instead",
                path.name,
            )
    try:
        info = path.stat()
    except OSError as exc:
        raise KnowledgeError(f"cannot read file ({exc.strerror})", path.name) from exc
    if stat.S_ISDIR(info.st_mode):
        raise KnowledgeError("a directory, not a document", path.name)
    if not stat.S_ISREG(info.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise KnowledgeError(f"{kind}, not a regular file", path.name)
    if max_bytes is not None and info.st_size > max_bytes:
        raise KnowledgeError(
            f"{info.st_size / 2**20:.2f} MB is larger than BOT_MAX_DOCUMENT_MB "
            f"({max_bytes / 2**20:.2f} MB); split it, or raise the limit",
            path.name,
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
