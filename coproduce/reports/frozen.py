"""A published edition as plain data: what the renderers turn into HTML, PDF and DOCX bytes.

Nothing here touches the database, so the renderers are pure functions of a `FrozenEdition` and
are tested without one. Services build it (`snapshot.py`) and store `to_dict()` on the edition.
Section `html` is already sanitised (nh3) and has its citations as links, e.g.
`<a class="citation" href="#source-3">[S3]</a>`; images in it are `data:` URIs, so rendering never
fetches anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class FrozenSource:
    label: int  # shown as S<label>; the provenance appendix's anchor is "source-<label>"
    kind: str  # "page", "comment", "outcome", ...
    kind_label: str  # "Wiki page", "Comment", "Discussion outcome"
    title: str
    excerpt: str
    url: str  # absolute link back to the exact revision / comment / discussion
    revision: int | None = None
    contributed_at: str = ""  # ISO 8601, or "" when unknown


@dataclass(frozen=True)
class FrozenSection:
    anchor: str  # "section-1", ... unique in the edition
    heading: str
    kind: str  # "text" or "contributors"
    html: str
    sources: tuple[int, ...] = ()  # labels of the sources this section draws on, in order


@dataclass(frozen=True)
class Credit:
    name: str  # already formatted per the person's choice, e.g. "Rowan Facilitator, NHS Trust"
    role: str  # "facilitator", "editor", "contributor" or "reviewer"
    user_id: int | None = None  # None once the person was erased


ROLE_LABELS = {
    "facilitator": "Facilitator",
    "editor": "Editor",
    "contributor": "Contributor",
    "reviewer": "Reviewer",
}


@dataclass(frozen=True)
class FrozenEdition:
    title: str
    number: int
    version: str
    published_at: str  # ISO 8601
    published_on: str  # for people, e.g. "24 November 2026"
    space_name: str
    community_name: str
    licence: str
    licence_url: str
    how_to_cite: str
    url: str  # absolute URL of the edition's page
    language: str = "en-GB"
    sections: tuple[FrozenSection, ...] = ()
    sources: tuple[FrozenSource, ...] = ()
    credits: tuple[Credit, ...] = ()
    unnamed_count: int = 0  # contributors who chose not to be named: "and 4 others"
    draft: bool = False  # a preview of the draft, not a published edition
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrozenEdition:
        values = dict(data)
        values["sections"] = tuple(
            FrozenSection(**{**s, "sources": tuple(s.get("sources", ()))}) for s in data.get("sections", ())
        )
        values["sources"] = tuple(FrozenSource(**s) for s in data.get("sources", ()))
        values["credits"] = tuple(Credit(**c) for c in data.get("credits", ()))
        return cls(**values)

    def source(self, label: int) -> FrozenSource | None:
        return next((s for s in self.sources if s.label == label), None)

    @property
    def credit_line(self) -> str:
        """ "Ada Admin, Rowan Facilitator and 4 others" (what the title page and citation say)."""
        names = [c.name for c in self.credits]
        if self.unnamed_count:
            names.append(f"{self.unnamed_count} other{'s' if self.unnamed_count != 1 else ''}")
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]
