"""The HTML edition: one standalone, accessible, printable document (UTF-8 bytes).

No external resources: the stylesheet is in a <style> element and images are data: URIs. The PDF
renderer lays out the same document.
"""

from __future__ import annotations

from html import escape

from coproduce.reports.frozen import FrozenEdition
from coproduce.reports.renderers.content import DRAFT_NOTICE, Part, edition_line, parts, place_line
from coproduce.reports.renderers.css import PAPER_CSS


def render_html(edition: FrozenEdition) -> bytes:
    return document(edition).encode("utf-8")


def document(edition: FrozenEdition) -> str:
    title = escape(edition.title)
    lang = escape(edition.language or "en-GB")
    paper_parts = parts(edition)
    head = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}{' (draft preview)' if edition.draft else ''}</title>",
    ]
    if edition.credit_line:
        head.append(f'<meta name="author" content="{escape(edition.credit_line)}">')
    head.append(f'<meta name="description" content="{escape(edition_line(edition))}">')
    if edition.published_at:
        head.append(f'<meta name="dcterms.created" content="{escape(edition.published_at)}">')
    if edition.draft:
        head.append('<meta name="robots" content="noindex">')
    head.append(f"<style>{PAPER_CSS}</style>")
    body = [title_page(edition), contents(paper_parts), "<main>"]
    body += [part_html(part) for part in paper_parts]
    body.append("</main>")
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n'
        + "\n".join(head)
        + "\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def title_page(edition: FrozenEdition) -> str:
    out = ['<header class="title-page">']
    if edition.draft:
        out.append(f'<p class="draft-banner" role="note">{escape(DRAFT_NOTICE)}</p>')
    out.append('<p class="kicker">Briefing paper</p>')
    out.append(f'<h1 id="title">{escape(edition.title)}</h1>')
    out.append(f'<p class="edition">{escape(edition_line(edition))}</p>')
    if place_line(edition):
        out.append(f'<p class="place">{escape(place_line(edition))}</p>')
    if edition.credit_line:
        out.append(f'<p class="credit-line">By {escape(edition.credit_line)}</p>')
    out.append("</header>")
    return "\n".join(out)


def contents(paper_parts: list[Part]) -> str:
    items = "".join(f'<li><a href="#{escape(p.anchor)}">{escape(p.heading)}</a></li>' for p in paper_parts)
    return (
        '<nav class="contents" aria-labelledby="contents-heading">'
        f'<h2 id="contents-heading">Contents</h2><ol>{items}</ol></nav>'
    )


def part_html(part: Part) -> str:
    """The part's anchor is its heading's id (the heading also names the section): an id on the
    <section> would keep WeasyPrint from sharing computed styles between the section's contents
    and those of the other sections (an id is a declaration of the element's own, its anchor)."""
    anchor = escape(part.anchor)
    return (
        f'<section class="part {escape(part.kind)}" aria-labelledby="{anchor}">'
        f'<h2 id="{anchor}">{escape(part.heading)}</h2>\n{part.html}\n</section>'
    )
