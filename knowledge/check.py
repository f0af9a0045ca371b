"""``kb check``: what a folder of documents would become, file by file, before it is loaded.

A reload stops at the first broken file, which is right for serving; an admin preparing a
folder wants every problem at once, and the repairs each document needed, to judge them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.base import split_document
from knowledge.errors import KnowledgeError
from knowledge.loader import list_sources, load_document
from knowledge.persona import FILE_NAME as PERSONA_FILE
from knowledge.persona import parse_persona, read_persona


@dataclass
class FileReport:
    name: str
    error: str | None = None
    passages: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    speakers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    folder: Path
    files: list[FileReport]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(f.error is None for f in self.files)

    def lines(self) -> list[str]:
        out = []
        for f in self.files:
            if f.error:
                out.append(f"ERROR  {f.name}: {f.error}")
                continue
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(f.kinds.items()))
            out.append(f"ok     {f.name}: {f.passages} passages ({kinds})")
            if f.speakers:
                out.append(f"       speakers: {'、'.join(f.speakers)}")
            out.extend(f"       {note}" for note in f.notes)
        if self.error:
            out.append(f"ERROR  {self.error}")
        bad = sum(1 for f in self.files if f.error)
        total = sum(f.passages for f in self.files)
        verdict = "would load" if self.ok else "would be refused"
        out.append(f"{len(self.files)} files, {bad} with errors, {total} passages: {verdict}")
        return out


def check_file(path: Path) -> FileReport:
    report = FileReport(path.name)
    try:
        document = load_document(path)
    except KnowledgeError as exc:
        report.error = exc.reason
        return report
    passages, report.notes = split_document(document)
    report.passages = len(passages)
    report.kinds = Counter(p.kind for p in passages)
    report.speakers = list(dict.fromkeys(p.speaker for p in passages if p.speaker))
    if not passages:
        report.notes.append("no passages: nothing in this file can be found")
    return report


def check_folder(folder: Path) -> CheckReport:
    try:
        files = [check_file(path) for path in list_sources(folder)]
    except KnowledgeError as exc:
        return CheckReport(folder, [], str(exc))
    report = CheckReport(folder, files)
    if not any(f.passages for f in files):
        report.error = f"{folder}: the knowledge folder yields no passages"
    try:  # the forum's words would refuse the reload too
        parse_persona(read_persona(folder)[0])
    except KnowledgeError as exc:
        report.files.append(FileReport(PERSONA_FILE, error=exc.reason))
    return report
