"""Briefing papers and their editions: thin adapters over coproduce.reports services.

A draft is seen only by those who can edit the space's papers: to anyone else it is "not found"
(404), never "forbidden", so a draft's existence does not leak. A paper with a ready edition is
visible to the space's readers, who see its published editions and never the draft.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field, field_validator, model_validator

from coproduce.accounts.models import User
from coproduce.api.auth import caller, signed_in
from coproduce.api.errors import ApiError
from coproduce.api.pagination import Page as PageOf
from coproduce.api.pagination import PageParams, paginate
from coproduce.api.schemas import StrictSchema
from coproduce.communities.access import Viewer, get_space_for_user
from coproduce.reports import access, downloads, selectors, services
from coproduce.reports.models import Edition, Paper, Section, Source
from coproduce.wiki.access import get_page_for_user

router = Router(tags=["papers"])

FORMATS = ("html", "pdf", "docx")


class PaperIn(StrictSchema):
    space: str = Field(min_length=1, max_length=60)
    title: str = Field(min_length=1, max_length=200)
    template: str = Field("briefing", max_length=40)
    confirm: bool = False  # "I have checked: no identifiable person", for what the guard warns about

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        if value not in services.TEMPLATES:
            known = ", ".join(sorted(services.TEMPLATES))
            raise ValueError(f"there is no template called {value!r}; choose one of: {known}")
        return value


class SourceIn(StrictSchema):
    """A contribution placed in a section: a wiki page of the paper's space by its slug (pinned to
    a revision if given), or any source card by its key ("page:12#2", "comment:55", "outcome:7")."""

    page: str | None = Field(None, min_length=1, max_length=200)
    key: str | None = Field(None, min_length=1, max_length=100)
    revision: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _page_or_key(self) -> Self:
        if (self.page is None) == (self.key is None):
            raise ValueError("give either a page (its slug) or a source key, not both")
        return self


class SectionIn(StrictSchema):
    id: int | None = Field(None, ge=1)
    heading: str = Field(min_length=1, max_length=200)
    kind: Literal["text", "contributors"] | None = None  # omitted: kept (new sections: text)
    body: str | None = Field(None, max_length=200_000)  # omitted: kept (new sections: empty)
    sources: list[SourceIn] | None = Field(None, max_length=1000)  # omitted: left as they are


class PaperUpdate(StrictSchema):
    title: str | None = Field(None, min_length=1, max_length=200)
    licence: str | None = Field(None, min_length=1, max_length=200)
    sections: list[SectionIn] | None = Field(None, max_length=200)
    confirm: bool = False  # "I have checked: no identifiable person", for what the guard warns about


class ListParams(PageParams):
    space: str = Field(min_length=1, max_length=60)


class SourceOut(Schema):
    key: str
    label: int
    kind: str
    title: str
    url: str
    revision: int | None
    used: bool | None


class SectionOut(Schema):
    id: int
    heading: str
    kind: str
    body: str
    html: str
    sources: list[SourceOut]


class FilesOut(Schema):
    html: str | None
    pdf: str | None
    docx: str | None


class EditionOut(Schema):
    downloads: FilesOut  # the same files through the API: a personal token is enough
    number: int
    status: str
    stage: str
    progress: int
    error: str
    version: str
    published_at: str
    files: FilesOut


class EditionSummary(Schema):
    number: int
    status: str
    version: str
    published_at: str


class PublishedOut(Schema):
    number: int
    status: str


class PaperOut(Schema):
    id: int
    space: str
    title: str
    licence: str
    url: str
    editable: bool
    head: int | None
    sections: list[SectionOut] | None
    unsorted: list[SourceOut] | None
    editions: list[EditionSummary]


class PaperSummary(Schema):
    id: int
    space: str
    title: str
    url: str
    latest_edition: EditionSummary | None


def _paper_url(request: HttpRequest, paper: Paper) -> str:
    return request.build_absolute_uri(
        reverse("reports:paper", kwargs={"space_slug": paper.space.slug, "pk": paper.pk})
    )


def _source_out(source: Source) -> dict[str, Any]:
    return {
        "key": source.key,
        "label": source.label,
        "kind": source.kind,
        "title": source.title,
        "url": source.url,
        "revision": source.revision,
        "used": source.used,
    }


def _section_out(section: Section, sources: list[Source]) -> dict[str, Any]:
    return {
        "id": section.pk,
        "heading": section.heading,
        "kind": section.kind,
        "body": section.body,
        "html": section.html,
        "sources": [_source_out(s) for s in sources],
    }


def _edition_summary(edition: Edition) -> dict[str, Any]:
    return {
        "number": edition.number,
        "status": edition.status,
        "version": edition.version,
        "published_at": edition.published_at.isoformat(),
    }


def _visible_editions(paper: Paper, *, editable: bool) -> list[Edition]:
    rows = paper.editions.order_by("-number")
    if not editable:
        rows = rows.filter(status=Edition.Status.READY)
    return list(rows)


def _public_title(paper: Paper, editions: list[Edition], *, editable: bool) -> str:
    """The draft's title for its editors; for readers, the newest ready edition's (the draft's own
    title may have changed since and is not published)."""
    if editable:
        return paper.title
    for edition in editions:
        if edition.status == Edition.Status.READY:
            return str(edition.snapshot.get("title") or paper.title)
    return paper.title


def _paper_out(request: HttpRequest, viewer: Viewer, paper: Paper) -> dict[str, Any]:
    editable = access.can_edit_papers(viewer, paper.space)
    editions = _visible_editions(paper, editable=editable)
    out: dict[str, Any] = {
        "id": paper.pk,
        "space": paper.space.slug,
        "title": _public_title(paper, editions, editable=editable),
        "licence": paper.licence,
        "url": _paper_url(request, paper),
        "editable": editable,
        "head": None,
        "sections": None,
        "unsorted": None,
        "editions": [_edition_summary(e) for e in editions],
    }
    if editable:
        sources = list(paper.sources.order_by("position", "label"))
        placed: dict[int, list[Source]] = {}
        for source in sources:
            if source.section_id is not None:
                placed.setdefault(source.section_id, []).append(source)
        out["head"] = paper.head
        out["sections"] = [
            _section_out(s, placed.get(s.pk, [])) for s in paper.sections.order_by("position", "id")
        ]
        out["unsorted"] = [_source_out(s) for s in sources if s.section_id is None]
    return out


def _file_url(request: HttpRequest, edition: Edition, fmt: str) -> str | None:
    if not edition.is_ready or not getattr(edition, f"{fmt}_file"):
        return None
    path = reverse(
        "reports:edition_file",
        kwargs={
            "space_slug": edition.paper.space.slug,
            "pk": edition.paper_id,
            "number": edition.number,
            "fmt": fmt,
        },
    )
    return request.build_absolute_uri(path)


def _download_url(request: HttpRequest, edition: Edition, fmt: str) -> str | None:
    if not edition.is_ready or not getattr(edition, f"{fmt}_file"):
        return None
    return request.build_absolute_uri(
        f"/api/v1/papers/{edition.paper_id}/editions/{edition.number}/files/{fmt}"
    )


def _edition_out(request: HttpRequest, edition: Edition) -> dict[str, Any]:
    return {
        **_edition_summary(edition),
        "stage": edition.stage,
        "progress": edition.progress,
        "error": edition.error,
        "files": {fmt: _file_url(request, edition, fmt) for fmt in FORMATS},
        "downloads": {fmt: _download_url(request, edition, fmt) for fmt in FORMATS},
    }


def _pick(actor: User, paper: Paper, where: str, source: SourceIn) -> services.SourcePick:
    """The source's key; a page is looked up by slug (or an old slug) in the paper's space."""
    if source.key is not None:
        return services.SourcePick(key=source.key, revision=source.revision)
    assert source.page is not None  # the schema asks for one of the two
    try:
        page = get_page_for_user(actor, paper.space.slug, source.page)
    except Http404:
        raise ValidationError(
            {f"{where}.page": [f"There is no page {source.page!r} in this space."]}
        ) from None
    if source.revision is not None and source.revision > page.head:
        raise ValidationError(
            {f"{where}.revision": [f"The page {page.slug!r} has no revision {source.revision}."]}
        )
    return services.SourcePick(key=f"page:{page.pk}", revision=source.revision)


def _sections(actor: User, paper: Paper, sections: list[SectionIn]) -> list[services.SectionInput]:
    """The service's input; what a section leaves out (kind, body) is kept from the section it names."""
    existing = {s.pk: s for s in paper.sections.all()}
    out = []
    for i, section in enumerate(sections):
        before = existing.get(section.id) if section.id is not None else None
        picks = None
        if section.sources is not None:
            picks = [
                _pick(actor, paper, f"sections[{i}].sources[{j}]", s) for j, s in enumerate(section.sources)
            ]
        out.append(
            services.SectionInput(
                id=section.id,
                heading=section.heading,
                kind=section.kind or (before.kind if before else Section.Kind.TEXT),
                body=section.body if section.body is not None else (before.body if before else ""),
                sources=picks,
            )
        )
    return out


@router.get("", response=PageOf)
def list_papers(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    viewer = caller(request)
    space = get_space_for_user(viewer, params.space)
    editable = access.can_edit_papers(viewer, space)
    rows = selectors.papers_in_space(space=space, viewer=viewer)

    def summary(paper: Paper) -> dict[str, Any]:
        editions = _visible_editions(paper, editable=editable)
        return {
            "id": paper.pk,
            "space": space.slug,
            "title": _public_title(paper, editions, editable=editable),
            "url": _paper_url(request, paper),
            "latest_edition": _edition_summary(editions[0]) if editions else None,
        }

    return paginate(request, rows, params, summary)


@router.post("", response={201: PaperOut})
def create_paper(request: HttpRequest, payload: PaperIn) -> Status[dict[str, Any]]:
    actor = signed_in(request)
    space = get_space_for_user(actor, payload.space)
    if not access.can_edit_papers(actor, space):
        raise PermissionDenied("Only the space's facilitators can write its briefing papers.")
    paper = services.paper_create(
        actor=actor, space=space, title=payload.title, template=payload.template, confirmed=payload.confirm
    )
    return Status(201, _paper_out(request, actor, paper))


@router.get("/{int:pk}", response=PaperOut)
def get_paper(request: HttpRequest, pk: int) -> dict[str, Any]:
    viewer = caller(request)
    return _paper_out(request, viewer, access.get_paper_for_reader(viewer, pk))


@router.put("/{int:pk}", response=PaperOut)
def update_paper(request: HttpRequest, pk: int, payload: PaperUpdate) -> dict[str, Any]:
    actor = signed_in(request)
    paper = access.get_paper_for_editor(actor, pk)
    sections = _sections(actor, paper, payload.sections) if payload.sections is not None else None
    paper = services.paper_update(
        actor=actor,
        paper=paper,
        title=payload.title,
        sections=sections,
        licence=payload.licence,
        confirmed=payload.confirm,
    )
    return _paper_out(request, actor, paper)


@router.post("/{int:pk}/editions", response={202: PublishedOut})
def publish_paper(request: HttpRequest, pk: int) -> Status[dict[str, Any]]:
    actor = signed_in(request)
    paper = access.get_paper_for_editor(actor, pk)
    try:
        edition = services.paper_publish(actor=actor, paper=paper)
    except services.PaperNotReady as not_ready:
        problems = [{"where": p.where, "message": p.message} for p in not_ready.problems]
        raise ApiError(
            409,
            "paper_not_ready",
            "The paper cannot be published yet: "
            + "; ".join(f"{p['where']}: {p['message']}" for p in problems),
            {"problems": problems},
        ) from None
    return Status(202, {"number": edition.number, "status": edition.status})


@router.get("/{int:pk}/editions/{int:number}", response=EditionOut)
def get_edition(request: HttpRequest, pk: int, number: int) -> dict[str, Any]:
    edition = access.get_edition_for_reader(caller(request), pk, number)
    return _edition_out(request, edition)


@router.get("/{int:pk}/editions/{int:number}/files/{fmt}")
def download_edition(request: HttpRequest, pk: int, number: int, fmt: Literal["html", "pdf", "docx"]) -> Any:
    """The edition's file itself, for scripts holding a personal token (the web address needs a session)."""
    edition = access.get_edition_for_reader(caller(request), pk, number)
    try:
        return downloads.edition_file_response(edition, fmt)
    except downloads.FileMissing:
        raise ApiError(
            503,
            "file_missing",
            "The file is missing from storage and is being made again from the edition. "
            f"Try again in {downloads.RETRY_AFTER_SECONDS} seconds.",
            {"retry_after": downloads.RETRY_AFTER_SECONDS},
        ) from None


@router.post("/{int:pk}/editions/{int:number}/retry", response={202: PublishedOut})
def retry_edition(request: HttpRequest, pk: int, number: int) -> Status[dict[str, Any]]:
    actor = signed_in(request)
    access.get_paper_for_editor(actor, pk)
    edition = access.get_edition_for_reader(actor, pk, number)
    edition = services.edition_retry(actor=actor, edition=edition)
    return Status(202, {"number": edition.number, "status": edition.status})
