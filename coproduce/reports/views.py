"""Briefing papers in the browser: the space's papers, the draft's editor and synthesis board, the
preview, publishing, each edition's progress and files, and a member's credit choice.

Each view: parse the form, one access helper, one service, render or redirect. When a service
refuses, the page is shown again with what was typed and an error summary that says where.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coproduce.accounts.models import User
from coproduce.communities import access as space_access
from coproduce.governance.policy import NeedsConfirmation
from coproduce.governance.safety import UnsafeContent, describe
from coproduce.lib.confirm import attempt_confirmable
from coproduce.lib.errors import Conflict
from coproduce.lib.ratelimit import RateLimited
from coproduce.lib.views import attempt, posted, signed_in
from coproduce.reports import access, downloads, selectors, services
from coproduce.reports.forms import (
    CreditForm,
    PaperCreateForm,
    PaperDetailsForm,
    PlaceForm,
    SectionForm,
    SectionFormSet,
    SectionWriteForm,
    used_choice,
)
from coproduce.reports.models import Edition, Paper, Section
from coproduce.reports.sources import Card

logger = logging.getLogger(__name__)

KEPT = "everything else you typed has been kept."


# --- small helpers ------------------------------------------------------------------------------


def _paper_url(paper: Paper, view: str = "reports:paper", **extra: Any) -> str:
    return reverse(view, kwargs={"space_slug": paper.space.slug, "pk": paper.pk, **extra})


def _edition_url(edition: Edition, view: str = "reports:edition", **extra: Any) -> str:
    paper = edition.paper
    kwargs = {"space_slug": paper.space.slug, "pk": paper.pk, "number": edition.number, **extra}
    return reverse(view, kwargs=kwargs)


@dataclass
class Problem:
    where: str
    message: str
    href: str = ""


_WHERE_SECTION = re.compile(r"^Section (\d+)\b")
_WHERE_SOURCE = re.compile(r"^S(\d+)\b")


def _where_href(paper: Paper, where: str) -> str:
    """A link to the place a problem names: "Section 2 “…”" or "S3 “…”" on the board."""
    board = _paper_url(paper, "reports:board")
    if match := _WHERE_SECTION.match(where):
        sections = list(paper.sections.order_by("position", "pk").values_list("pk", flat=True))
        index = int(match[1]) - 1
        return f"{board}#section-{sections[index]}" if 0 <= index < len(sections) else board
    if match := _WHERE_SOURCE.match(where):
        key = paper.sources.filter(label=int(match[1])).values_list("key", flat=True).first()
        return f"{board}#{_dom_id(key)}" if key else board
    if where in ("Title", "title", "licence"):
        return _paper_url(paper, "reports:edit")
    return ""


def _publish_problems(paper: Paper, error: Exception) -> list[Problem]:
    """What stops a paper from being published, each with where it is and a link there."""
    found: list[tuple[str, str]]
    if isinstance(error, services.PaperNotReady):
        found = [(p.where, p.message) for p in error.problems]
    elif isinstance(error, UnsafeContent):
        found = [
            (where, f"Remove {describe(findings)}. Do not share patient-identifiable data in a paper.")
            for where, findings in error.findings.items()
        ]
    elif isinstance(error, RateLimited):
        found = [("", f"You have started many renders in a short time. {error}")]
    elif isinstance(error, Conflict) and error.code == "render_in_progress":
        found = [
            ("", "An edition of this paper is still being made. Wait until it is ready, then try again.")
        ]
    elif isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        found = [(field, m) for field, msgs in error.message_dict.items() for m in msgs]
    elif isinstance(error, ValidationError):
        found = [("", m) for m in error.messages]
    else:
        raise error
    return [Problem(where, message, _where_href(paper, where)) for where, message in found]


# --- the space's papers ---------------------------------------------------------------------------


def paper_list(request: HttpRequest, space_slug: str) -> HttpResponse:
    return _list_page(request, space_slug, form=PaperCreateForm())


def _list_page(
    request: HttpRequest, space_slug: str, *, form: PaperCreateForm, status: int = 200
) -> HttpResponse:
    space = space_access.get_space_for_user(request.user, space_slug)
    can_edit = access.can_edit_papers(request.user, space)
    papers = selectors.papers_in_space(space=space, viewer=request.user)
    ready = selectors.latest_ready_editions(paper_ids={paper.pk for paper in papers})
    rows = [{"paper": paper, "edition": ready.get(paper.pk)} for paper in papers]
    context = {"space": space, "rows": rows, "can_edit": can_edit, "form": form}
    return render(request, "reports/list.html", context, status=status)


def create(request: HttpRequest, space_slug: str) -> HttpResponse:
    space = space_access.get_space_for_user(request.user, space_slug)
    if not access.can_edit_papers(request.user, space):
        raise Http404("No such page.")
    form = PaperCreateForm(posted(request))
    if form.is_valid():
        actor, data = signed_in(request), form.cleaned_data
        paper = attempt_confirmable(
            form,
            lambda: services.paper_create(
                actor=actor,
                space=space,
                title=data["title"],
                template=data["template"],
                confirmed=form.confirmed,
            ),
        )
        if paper is not None:
            messages.success(
                request, f"The paper {paper.title} was created. Sort the space's contributions on its board."
            )
            return HttpResponseRedirect(_paper_url(paper, "reports:board"))
    return _list_page(request, space_slug, form=form, status=400 if form.is_bound else 200)


# --- a paper ---------------------------------------------------------------------------------------


def paper(request: HttpRequest, space_slug: str, pk: int) -> HttpResponse:
    found = access.get_paper_for_reader(request.user, pk, space_slug)
    return _paper_page(request, found)


def _paper_page(
    request: HttpRequest, paper: Paper, *, problems: list[Problem] | None = None, status: int = 200
) -> HttpResponse:
    can_edit = access.can_edit_papers(request.user, paper.space)
    editions = paper.editions.order_by("-number")
    if not can_edit:
        editions = editions.filter(status=Edition.Status.READY)
    user = request.user
    context = {
        "space": paper.space,
        "paper": paper,
        "can_edit": can_edit,
        "editions": list(editions),
        "sections": list(paper.sections.order_by("position", "id")) if can_edit else [],
        "problems": problems or [],
        "can_choose_credit": isinstance(user, User) and user.is_member,
        "pending": any(e.status in (Edition.Status.PENDING, Edition.Status.RENDERING) for e in editions),
    }
    return render(request, "reports/paper.html", context, status=status)


@require_POST
def publish(request: HttpRequest, space_slug: str, pk: int) -> HttpResponse:
    found = access.get_paper_for_editor(request.user, pk, space_slug)
    try:
        edition = services.paper_publish(actor=signed_in(request), paper=found)
    except (services.PaperNotReady, UnsafeContent, RateLimited, ValidationError) as error:
        status = 429 if isinstance(error, RateLimited) else 409 if isinstance(error, Conflict) else 400
        return _paper_page(request, found, problems=_publish_problems(found, error), status=status)
    messages.success(request, f"Edition {edition.number} is being made. This page shows how far it has got.")
    return HttpResponseRedirect(_edition_url(edition))


def preview(request: HttpRequest, space_slug: str, pk: int) -> HttpResponse:
    """The draft as it would be published now, marked as a draft preview."""
    from coproduce.reports.renderers import render_html  # loads WeasyPrint and python-docx: only here

    found = access.get_paper_for_editor(request.user, pk, space_slug)
    document = render_html(selectors.paper_preview(paper=found))
    response = HttpResponse(document, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return downloads.with_inline_styles(response, document)


# --- editing ---------------------------------------------------------------------------------------


def _section_initial(paper: Paper) -> list[dict[str, Any]]:
    return [
        {"id": s.pk, "heading": s.heading, "kind": s.kind, "body": s.body, "ORDER": i}
        for i, s in enumerate(paper.sections.order_by("position", "id"), start=1)
    ]


_SECTION_FIELD = re.compile(r"^sections\[(\d+)\](?:\.(\w+))?$")


def _apply_section_errors(
    details: PaperDetailsForm, sent: list[SectionForm], error: ValidationError | UnsafeContent
) -> None:
    """Put the service's refusal on the field it names: "sections[2].body" is the third section sent."""
    if isinstance(error, UnsafeContent):
        items = [
            (
                field,
                [f"Remove {describe(found)}. Do not share patient-identifiable data here; {KEPT}"],
            )
            for field, found in error.findings.items()
        ]
    elif hasattr(error, "error_dict"):
        items = list(error.message_dict.items())
    else:
        details.add_error(None, error)
        return
    for field, messages_ in items:
        match = _SECTION_FIELD.match(field)
        if match and int(match[1]) < len(sent):
            form, name = sent[int(match[1])], match[2] or ""
            form.add_error(name if name in form.fields else None, messages_)
        elif field in details.fields:
            details.add_error(field, messages_)
        else:
            details.add_error(None, messages_)


def edit(request: HttpRequest, space_slug: str, pk: int) -> HttpResponse:
    found = access.get_paper_for_editor(request.user, pk, space_slug)
    data = posted(request)
    details = PaperDetailsForm(data, initial={"title": found.title, "licence": found.licence})
    formset = SectionFormSet(data, initial=_section_initial(found), prefix="sections")
    status = 200
    if data is not None:
        status = 400
        if details.is_valid() and formset.is_valid():
            sent = [form for form in formset.ordered_forms if form.cleaned_data.get("heading") is not None]
            sections = [
                services.SectionInput(
                    heading=form.cleaned_data["heading"],
                    body=form.cleaned_data["body"],
                    kind=form.cleaned_data["kind"],
                    id=form.cleaned_data.get("id"),
                )
                for form in sent
            ]
            try:
                services.paper_update(
                    actor=signed_in(request),
                    paper=found,
                    title=details.cleaned_data["title"],
                    licence=details.cleaned_data["licence"],
                    sections=sections,
                    confirmed=details.confirmed,
                )
            except NeedsConfirmation as warning:
                details.ask_to_confirm(_named_for_people(warning))
            except (ValidationError, UnsafeContent) as error:
                _apply_section_errors(details, sent, error)
            else:
                messages.success(request, "The paper was saved.")
                return HttpResponseRedirect(_paper_url(found))
    context = {
        "space": found.space,
        "paper": found,
        "details": details,
        "formset": formset,
        "has_errors": bool(details.errors or formset.total_error_count()),
    }
    return render(request, "reports/edit.html", context, status=status)


def _named_for_people(warning: NeedsConfirmation) -> NeedsConfirmation:
    """ "sections[2].body" → "Section 3, text", as the edit page shows its fields."""

    def name(field: str) -> str:
        found = re.fullmatch(r"sections\[(\d+)\]\.(heading|body)", field)
        if found is None:
            return field.capitalize()
        return f"Section {int(found[1]) + 1}, {'heading' if found[2] == 'heading' else 'text'}"

    return NeedsConfirmation(findings={name(field): found for field, found in warning.findings.items()})


# --- the synthesis board ------------------------------------------------------------------------


@dataclass
class CardView:
    """A card on the board and the state of its form (as saved, or as typed when refused)."""

    board_card: selectors.BoardCard
    dom_id: str
    section: str
    used: str
    errors: list[str]

    @property
    def card(self) -> Card:
        return self.board_card.card

    @property
    def label(self) -> str:
        return self.board_card.label


def _dom_id(key: str) -> str:
    return "card-" + (re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-") or "x")


def _card_view(board_card: selectors.BoardCard, refused: PlaceForm | None) -> CardView:
    source = board_card.source
    view = CardView(
        board_card=board_card,
        dom_id=_dom_id(board_card.card.key),
        section=str(source.section_id) if source is not None and source.section_id else "",
        used=used_choice(source.used if source is not None else None),
        errors=[],
    )
    if refused is not None and refused.data.get("key") == board_card.card.key:
        view.section = str(refused.data.get("section", ""))
        view.used = str(refused.data.get("used", ""))
        view.errors = [str(e) for errors in refused.errors.values() for e in errors]
    return view


def board(request: HttpRequest, space_slug: str, pk: int) -> HttpResponse:
    """Sort the space's contributions into the paper's sections and write each section beside them."""
    found = access.get_paper_for_editor(request.user, pk, space_slug)
    sections = list(found.sections.order_by("position", "id"))
    refused_place: PlaceForm | None = None
    refused_write: SectionWriteForm | None = None
    if request.method == "POST":
        if request.POST.get("action") == "write":
            refused_write, done = _write(request, found, sections)
        else:
            refused_place, done = _place(request, found, sections)
        if done is not None:
            if request.headers.get("X-Board") == "drag":
                return HttpResponse(status=204)  # board.js reloads the page, which shows the message
            return HttpResponseRedirect(_paper_url(found, "reports:board") + f"#{done}")
    return _board_page(request, found, refused_place=refused_place, refused_write=refused_write)


def _place(request: HttpRequest, paper: Paper, sections: list[Section]) -> tuple[PlaceForm, str | None]:
    form = PlaceForm(request.POST, sections=sections)
    if form.is_valid():
        actor, data = signed_in(request), form.cleaned_data
        source = attempt(
            form,
            lambda: services.source_place(
                actor=actor,
                paper=paper,
                key=data["key"],
                section=form.chosen_section,
                used=form.used_value,
                revision=data.get("revision"),
            ),
        )
        if source is not None:
            where = form.chosen_section.heading if form.chosen_section else "Not sorted yet"
            messages.success(request, f"Card S{source.label} saved in “{where}”.")
            return form, _dom_id(data["key"])
    return form, None


def _write(
    request: HttpRequest, paper: Paper, sections: list[Section]
) -> tuple[SectionWriteForm, str | None]:
    form = SectionWriteForm(request.POST, auto_id=f"id_write_{request.POST.get('section', 'x')}_%s")
    if form.is_valid():
        section = next((s for s in sections if s.pk == form.cleaned_data["section"]), None)
        if section is None:
            form.add_error(None, "That section is no longer in the paper. Copy your text before you reload.")
            return form, None
        actor, data = signed_in(request), form.cleaned_data
        saved = attempt_confirmable(
            form,
            lambda: services.section_write(
                actor=actor,
                section=section,
                heading=data["heading"],
                body=data["body"],
                confirmed=form.confirmed,
            ),
        )
        if saved is not None:
            messages.success(request, f"The text of “{saved.heading}” was saved.")
            return form, f"section-{saved.pk}"
    return form, None


def _board_page(
    request: HttpRequest,
    paper: Paper,
    *,
    refused_place: PlaceForm | None = None,
    refused_write: SectionWriteForm | None = None,
) -> HttpResponse:
    data = selectors.board_for(paper=paper, viewer=request.user)
    columns = []
    for column in data.columns:
        section = column.section
        if refused_write is not None and str(refused_write.data.get("section")) == str(section.pk):
            write_form = refused_write
        else:
            write_form = SectionWriteForm(
                initial={"section": section.pk, "heading": section.heading, "body": section.body},
                auto_id=f"id_write_{section.pk}_%s",
            )
        columns.append(
            {
                "section": section,
                "form": write_form,
                "cards": [_card_view(card, refused_place) for card in column.cards],
            }
        )
    unsorted = [_card_view(card, refused_place) for card in data.unsorted]
    sections = [column["section"] for column in columns]
    errors: list[tuple[str, str]] = []  # (anchor, message) for the error summary
    if refused_place is not None:
        anchor = _dom_id(str(refused_place.data.get("key", "")))
        errors += [(anchor, str(e)) for errs in refused_place.errors.values() for e in errs]
    if refused_write is not None:
        anchor = f"section-{refused_write.data.get('section', '')}"
        errors += [(anchor, str(e)) for errs in refused_write.errors.values() for e in errs]
    context = {
        "space": paper.space,
        "paper": paper,
        "columns": columns,
        "unsorted": unsorted,
        "sections": sections,
        "errors": errors,
        "used_choices": [("used", "Used"), ("not_used", "Not used"), ("undecided", "Not decided")],
    }
    return render(request, "reports/board.html", context, status=400 if errors else 200)


# --- editions -------------------------------------------------------------------------------------


def _edition_context(request: HttpRequest, edition: Edition) -> dict[str, Any]:
    paper = edition.paper
    return {
        "space": paper.space,
        "paper": paper,
        "edition": edition,
        "can_edit": access.can_edit_papers(request.user, paper.space),
        "polling": edition.status in (Edition.Status.PENDING, Edition.Status.RENDERING),
        "formats": [
            ("html", "Web page (HTML)"),
            ("pdf", "PDF"),
            ("docx", "Word document (DOCX)"),
        ],
    }


def edition(request: HttpRequest, space_slug: str, pk: int, number: int) -> HttpResponse:
    found = access.get_edition_for_reader(request.user, pk, number, space_slug)
    return render(request, "reports/edition.html", _edition_context(request, found))


def edition_status(request: HttpRequest, space_slug: str, pk: int, number: int) -> HttpResponse:
    """The status box alone, for htmx to swap in every 2 seconds until the edition is ready or failed."""
    found = access.get_edition_for_reader(request.user, pk, number, space_slug)
    response = render(request, "reports/_edition_status.html", _edition_context(request, found))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def edition_retry(request: HttpRequest, space_slug: str, pk: int, number: int) -> HttpResponse:
    found = access.get_edition_for_reader(request.user, pk, number, space_slug)
    if not access.can_edit_papers(request.user, found.paper.space):
        raise Http404("No such edition.")
    try:
        services.edition_retry(actor=signed_in(request), edition=found)
        messages.success(request, f"Edition {found.number} is being made again.")
    except RateLimited as error:
        messages.error(request, f"You have started many renders in a short time. {error}")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return HttpResponseRedirect(_edition_url(found))


def edition_file(
    request: HttpRequest, space_slug: str, pk: int, number: int, fmt: str
) -> HttpResponse | FileResponse:
    """A ready edition's file; nothing is served before the edition is ready."""
    found = access.get_edition_for_reader(request.user, pk, number, space_slug)
    try:
        return downloads.edition_file_response(found, fmt)
    except downloads.FileMissing:
        return _file_missing(request, found)


def _file_missing(request: HttpRequest, edition: Edition) -> HttpResponse:
    """The file went missing from storage (a lost disk, a bad restore) and is being rebuilt."""
    response = render(
        request,
        "reports/edition_missing.html",
        {"edition": edition, "paper": edition.paper, "space": edition.paper.space},
        status=503,
    )
    response["Retry-After"] = str(downloads.RETRY_AFTER_SECONDS)
    return response


# --- credit ----------------------------------------------------------------------------------------


def credit(request: HttpRequest, space_slug: str, pk: int) -> HttpResponse:
    """A member chooses how this paper names them, or to follow their profile."""
    found = access.get_paper_for_member(request.user, pk, space_slug)
    user = signed_in(request)
    override = selectors.credit_override(paper=found, user=user)
    form = CreditForm(
        posted(request), profile_choice=user.credit_as, initial={"credit_as": override or "profile"}
    )
    if form.is_valid():
        choice = form.override

        def choose() -> bool:
            services.credit_choose(actor=user, paper=found, credit_as=choice)
            return True

        if attempt(form, choose):
            messages.success(request, "Your choice was saved. It applies to the next edition of this paper.")
            return HttpResponseRedirect(_paper_url(found, "reports:credit"))
    context = {
        "space": found.space,
        "paper": found,
        "form": form,
        "can_read_paper": _can_read(request, found),
    }
    return render(request, "reports/credit.html", context, status=400 if form.errors else 200)


def _can_read(request: HttpRequest, paper: Paper) -> bool:
    try:
        access.get_paper_for_reader(request.user, paper.pk, paper.space.slug)
    except Http404:
        return False
    return True
