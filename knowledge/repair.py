"""Undo damage that PDF text extraction does to Chinese reports."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RepairResult:
    text: str
    notes: list[str] = field(default_factory=list)  # one line per kind of repair made


def repair_text(text: str) -> RepairResult:
    # Placeholder until the repair pipeline lands: returns the text unchanged.
    return RepairResult(text=text)
