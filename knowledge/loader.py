"""Reads the knowledge folder: every .txt and .md file, strictly decoded."""

from __future__ import annotations

import hashlib
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.model import Document

SUFFIXES = (".txt", ".md")


def list_sources(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise KnowledgeError("knowledge folder does not exist", str(folder))
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def load_document(path: Path) -> Document:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"cannot read file ({exc.strerror})", path.name) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(
            f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8", path.name
        ) from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Document(
        name=path.name,
        title=path.stem,
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
