"""Plain records passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One source file after loading (before repair)."""

    name: str  # file name, e.g. "report.txt": how admins refer to it
    title: str  # human title used in citations
    text: str
    sha256: str
    meta: dict[str, str] = field(default_factory=dict)  # front matter (source, date, ...)
    format: str = "text"  # "text" (plain, often PDF-extracted) or "markdown"
    notes: tuple[str, ...] = ()  # loading warnings, e.g. a legacy encoding that was accepted


@dataclass(frozen=True)
class Block:
    """One unit of a repaired document's layout, in reading order.

    Repair decides what is running text and what was set apart on the page (a heading,
    a photo caption), so that passage splitting can attribute each without guessing again.
    """

    kind: str  # paragraph | heading | caption
    text: str
    level: int = 0  # markdown heading level (1-6); 0 when not a markdown heading


@dataclass(frozen=True)
class Passage:
    """The unit that is ranked, quoted and cited."""

    id: str  # stable across reloads of the same text: "<document slug>:<ordinal>"
    document: str  # document title
    source: str  # document file name
    section: str
    text: str
    kind: str = "body"  # body | speech | caption | heading
    speaker: str | None = None
    speaker_role: str | None = None
    talk_title: str | None = None

    def citation(self) -> str:
        """The line shown after ``[n]``: who said it for speeches, else document and section."""
        if self.speaker:
            role = f"（{self.speaker_role}）" if self.speaker_role else ""
            title = f"主题演讲《{self.talk_title}》" if self.talk_title else self.section
            return f"{self.speaker}{role}{title}"
        if self.section and self.section != self.document:
            return f"《{self.document}》{self.section}"
        return f"《{self.document}》"
