"""Freeze a paper into a `FrozenEdition`: the plain data the renderers turn into files."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone

from coproduce.communities.models import Space
from coproduce.reports import credits
from coproduce.reports.frozen import Credit, FrozenEdition, FrozenSection, FrozenSource
from coproduce.reports.models import OGL, OGL_URL, Paper, Source
from coproduce.wiki.models import Attachment

_CITATION = re.compile(r"\[S(\d{1,6})\]")
_RELATIVE_HREF = re.compile(r'(<a\b[^>]*\bhref=")(/[^"/][^"]*")')
_REMOTE_IMAGE = re.compile(r'<img\b[^>]*?\bsrc="(?!data:)[^"]*"[^>]*?>')
_ALT = re.compile(r'\balt="([^"]*)"')
_SRC = re.compile(r'\bsrc="([^"]*)"')
# Figures a paper may carry inside its files: raster images every renderer embeds, and SVG, which the
# HTML and PDF editions show (the DOCX gives its text alternative). Larger files stay out.
EMBEDDABLE = frozenset({"image/png", "image/jpeg", "image/gif", "image/svg+xml"})
EMBED_MAX_BYTES = 5 * 1024 * 1024
EMBED_TOTAL_BYTES = 20 * 1024 * 1024  # for one edition: after that, images give their text


@dataclass
class EmbedBudget:
    """What is left of EMBED_TOTAL_BYTES for the figures of the edition being frozen."""

    left: int = EMBED_TOTAL_BYTES


def edition_path(paper: Paper, number: int) -> str:
    return f"/spaces/{paper.space.slug}/papers/{paper.pk}/editions/{number}/"


def edition_url(paper: Paper, number: int) -> str:
    try:
        path = reverse("reports:edition", args=[paper.space.slug, paper.pk, number])
    except NoReverseMatch:  # the UI's routes are not there yet
        path = edition_path(paper, number)
    return f"{settings.SITE_URL}{path}"


def link_citations(html: str, labels: set[int]) -> str:
    """ "[S3]" -> a link to the provenance entry, for the labels the edition lists."""

    def replace(match: re.Match[str]) -> str:
        label = int(match[1])
        if label not in labels:
            return match[0]
        return f'<a class="citation" href="#source-{label}">[S{label}]</a>'

    return _CITATION.sub(replace, html)


def standalone_html(html: str, space: Space | None = None, budget: EmbedBudget | None = None) -> str:
    """Site-relative links made absolute. Images attached to pages of `space` are embedded as data:
    URIs, so the edition carries them; any other image that is not a data: URI becomes its alt text
    (an edition never fetches anything, and never shows another space's files)."""
    html = _RELATIVE_HREF.sub(lambda m: f"{m[1]}{settings.SITE_URL}{m[2]}", html)

    budget = budget or EmbedBudget()

    def image(match: re.Match[str]) -> str:
        src = _SRC.search(match[0])
        embedded = _attachment_data_uri(src[1], space) if src and space is not None else None
        if embedded is not None:
            if len(embedded) > budget.left:
                embedded = None
            else:
                budget.left -= len(embedded)
        if embedded is not None:
            return match[0].replace(src[0], f'src="{embedded}"', 1) if src else match[0]
        alt = _ALT.search(match[0])
        return f"[{alt[1]}]" if alt and alt[1] else ""

    return _REMOTE_IMAGE.sub(image, html)


def _attachment_data_uri(src: str, space: Space) -> str | None:
    """The data: URI of the page attachment `src` points at, if it is an image of this space's pages."""
    try:
        url = urlsplit(src.replace("&amp;", "&"))
    except ValueError:  # "http://[not-an-address]": not one of ours
        return None
    site = urlsplit(settings.SITE_URL)
    if url.netloc and (url.scheme, url.netloc) != (site.scheme, site.netloc):
        return None
    try:
        match = resolve(unquote(url.path))
    except Resolver404:
        return None
    if match.view_name != "wiki:attachment" or match.kwargs.get("space_slug") != space.slug:
        return None
    attachment = (
        Attachment.objects.filter(
            pk=match.kwargs["attachment_id"], page__space=space, page__hidden_at__isnull=True
        )
        .only("file", "content_type", "size")
        .first()
    )
    if attachment is None or attachment.content_type not in EMBEDDABLE or attachment.size > EMBED_MAX_BYTES:
        return None
    try:
        with attachment.file.open("rb") as handle:
            data = handle.read(EMBED_MAX_BYTES + 1)
    except OSError:
        return None
    return f"data:{attachment.content_type};base64,{base64.b64encode(data).decode('ascii')}"


def _frozen_source(source: Source) -> FrozenSource:
    return FrozenSource(
        label=source.label,
        kind=source.kind,
        kind_label={"page": "Wiki page", "comment": "Comment", "outcome": "Discussion outcome"}.get(
            source.kind, source.kind.title()
        ),
        title=source.title,
        excerpt=source.excerpt,
        url=source.url,
        revision=source.revision,
        contributed_at=source.contributed_at.isoformat() if source.contributed_at else "",
    )


def frozen_credits(paper: Paper) -> tuple[tuple[Credit, ...], int]:
    named: list[Credit] = []
    unnamed = 0
    for user, role in credits.contributors(paper):
        name = credits.format_credit(user, credits.credit_choice(paper, user))
        if name is None:
            unnamed += 1
        else:
            named.append(Credit(name=name, role=role, user_id=user.pk))
    return tuple(named), unnamed


def how_to_cite(*, credit_line: str, year: int, title: str, number: int, version: str, url: str) -> str:
    who = f"{credit_line} " if credit_line else ""
    return (
        f"{who}({year}). {title}. Edition {number} (version {version}). {settings.SITE_NAME}. "
        f"Available at: {url}"
    )


def published_on(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


def build_snapshot(
    *, paper: Paper, number: int, version: str, published_at: datetime, draft: bool = False
) -> FrozenEdition:
    used = [s for s in paper.sources.all() if s.used and s.section_id is not None]
    budget = EmbedBudget()
    labels = {s.label for s in used}
    sections: list[FrozenSection] = []
    for i, section in enumerate(paper.sections.order_by("position", "pk"), start=1):
        own = sorted((s for s in used if s.section_id == section.pk), key=lambda s: (s.position, s.label))
        sections.append(
            FrozenSection(
                anchor=f"section-{i}",
                heading=section.heading,
                kind=section.kind,
                html=link_citations(standalone_html(section.html, paper.space, budget), labels),
                sources=tuple(s.label for s in own),
            )
        )
    credit_list, unnamed = frozen_credits(paper)
    url = edition_url(paper, number)
    edition = FrozenEdition(
        title=paper.title,
        number=number,
        version=version,
        published_at=published_at.isoformat(),
        published_on=published_on(published_at),
        space_name=paper.space.name,
        community_name=settings.SITE_NAME,
        licence=paper.licence,
        licence_url=OGL_URL if paper.licence == OGL else "",
        how_to_cite="",
        url=url,
        sections=tuple(sections),
        sources=tuple(_frozen_source(s) for s in sorted(used, key=lambda s: s.label)),
        credits=credit_list,
        unnamed_count=unnamed,
        draft=draft,
    )
    cite = how_to_cite(
        credit_line=edition.credit_line,
        year=timezone.localtime(published_at).year,
        title=paper.title,
        number=number,
        version=version,
        url=url,
    )
    return FrozenEdition.from_dict({**edition.to_dict(), "how_to_cite": cite})
