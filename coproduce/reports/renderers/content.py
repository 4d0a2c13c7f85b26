"""What every format shows, in order, as small pieces of HTML: one source of truth for the three
renderers, so that HTML, PDF and DOCX carry the same content.

A `Part` is a top-level division of the paper after the title page and the contents: each section,
the contributors (added at the end when no section of kind "contributors" exists), the provenance
appendix "Sources" and "Licence and how to cite". Their `html` is the body below the part's
heading; headings inside it start at <h3>, one level below the part's own <h2>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from coproduce.reports.frozen import ROLE_LABELS, FrozenEdition, FrozenSection, FrozenSource

DRAFT_NOTICE = "Draft preview \N{EN DASH} not published"
ROLE_ORDER = ("facilitator", "editor", "contributor", "reviewer")
_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    anchor: str
    heading: str
    html: str
    kind: str = "text"  # "text", "contributors", "sources", "licence"


def safe_url(url: str) -> str | None:
    """The URL if it is one a reader may follow (http, https, mailto), else None."""
    lowered = url.strip().lower()
    if lowered.startswith(("https://", "http://", "mailto:")):
        return url.strip()
    return None


def link(url: str, text: str | None = None) -> str:
    label = escape(text if text is not None else url)
    target = safe_url(url)
    return f'<a href="{escape(target)}">{label}</a>' if target else label


def demote_headings(html: str) -> str:
    """Headings inside a section sit below the section's own <h2>: h1/h2 -> h3, h3 -> h4, ..."""

    def shift(match: re.Match[str]) -> str:
        level = min(max(int(match.group(2)) + 1, 3), 6)
        return f"<{match.group(1)}h{level}"

    return _HEADING_TAG.sub(shift, html)


def edition_line(edition: FrozenEdition) -> str:
    if edition.draft:
        number, version = edition.number, edition.version
        return f"Draft of edition {number}, version {version}, previewed on {edition.published_on}"
    return f"Edition {edition.number}, version {edition.version}, published on {edition.published_on}"


def place_line(edition: FrozenEdition) -> str:
    return ", ".join(part for part in (edition.space_name, edition.community_name) if part)


def parts(edition: FrozenEdition) -> list[Part]:
    result = [_section_part(edition, section) for section in edition.sections]
    if not any(section.kind == "contributors" for section in edition.sections):
        result.append(Part("contributors", "Contributors", contributors_html(edition), "contributors"))
    result.append(Part("sources", "Sources", sources_html(edition), "sources"))
    result.append(Part("licence", "Licence and how to cite", licence_html(edition), "licence"))
    return result


def _section_part(edition: FrozenEdition, section: FrozenSection) -> Part:
    body = demote_headings(section.html)
    if section.kind == "contributors":
        return Part(section.anchor, section.heading, body + contributors_html(edition), "contributors")
    return Part(section.anchor, section.heading, body, section.kind)


def contributors_html(edition: FrozenEdition) -> str:
    """The credits grouped by role, in the order facilitator, editor, contributor, reviewer."""
    out: list[str] = []
    roles = list(ROLE_ORDER) + sorted({c.role for c in edition.credits} - set(ROLE_ORDER))
    for role in roles:
        names = [credit.name for credit in edition.credits if credit.role == role]
        if not names:
            continue
        label = ROLE_LABELS.get(role, role.capitalize())
        out.append(f"<h3>{escape(label if len(names) == 1 else label + 's')}</h3>")
        out.append('<ul class="credits">' + "".join(f"<li>{escape(n)}</li>" for n in names) + "</ul>")
    count = edition.unnamed_count
    if count:
        plural = "s" if count != 1 else ""
        if edition.credits:
            text = f"… and {count} other{plural} who chose not to be named."
        else:
            text = f"{count} contributor{plural} chose not to be named."
        out.append(f'<p class="unnamed">{text}</p>')
    if not out:
        out.append("<p>No contributors are named.</p>")
    return "".join(out)


def sources_html(edition: FrozenEdition) -> str:
    """The provenance appendix: each section's sources, with a link back to the exact revision.

    Each source gets its anchor (id="source-<label>", on its label) where it is first listed; a
    source a later section draws on again links back to that entry."""
    out: list[str] = [
        "<p>Each section draws on contributions made in the space. "
        "Each entry links back to the exact revision, comment or discussion it cites.</p>"
    ]
    listed: set[int] = set()
    for section in edition.sections:
        if not section.sources:
            continue
        out.append(f"<h3>{escape(section.heading)}</h3>")
        out.append(_source_list(edition, section.sources, listed))
    others = tuple(s.label for s in edition.sources if s.label not in listed)
    if others:
        out.append("<h3>Other sources</h3>")
        out.append(_source_list(edition, others, listed))
    if not edition.sources:
        out.append("<p>This edition cites no sources.</p>")
    return "".join(out)


def _source_list(edition: FrozenEdition, labels: tuple[int, ...], listed: set[int]) -> str:
    items: list[str] = []
    for label in labels:
        source = edition.source(label)
        if source is None:
            continue
        if label in listed:
            items.append(
                f'<li><a href="#source-{label}">S{label}</a>: {escape(source.title)}, listed above.</li>'
            )
            continue
        listed.add(label)
        items.append(f"<li>{_source_entry(source)}</li>")
    return '<ul class="sources">' + "".join(items) + "</ul>"


def _source_entry(source: FrozenSource) -> str:
    """One compact paragraph: label, title, kind, revision, date, excerpt and the link back.

    The anchor is on the label, not on the <li>: WeasyPrint shares computed styles between
    elements with the same declarations and parent style, and an id is a declaration of its own
    (its anchor), so an id on the <li> would give every entry and all it contains a style of its
    own to compute."""
    details = [escape(source.kind_label)]
    if source.revision is not None:
        details.append(f"revision {source.revision}")
    if source.contributed_at:
        details.append(escape(source.contributed_at[:10]))
    label = f'<strong id="source-{source.label}">S{source.label}</strong>'
    text = f"{label} {escape(source.title)} ({', '.join(details)})."
    if source.excerpt:
        text += f" \N{LEFT DOUBLE QUOTATION MARK}{escape(source.excerpt)}\N{RIGHT DOUBLE QUOTATION MARK}"
    if safe_url(source.url):
        text += f" {link(source.url)}"
    return text


def licence_html(edition: FrozenEdition) -> str:
    licence = link(edition.licence_url, edition.licence) if edition.licence_url else escape(edition.licence)
    out = [f"<p>This edition is published under the {licence}.</p>"]
    out.append("<h3>How to cite</h3>")
    out.append(f'<p class="how-to-cite">{escape(edition.how_to_cite)}</p>')
    if edition.url:
        out.append(f"<p>Online: {link(edition.url)}</p>")
    return "".join(out)
