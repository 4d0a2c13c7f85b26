"""Every change to a briefing paper and its editions: one keyword-only function per change.

Each checks permission, validates, passes the text through the patient-data guard, writes ONE
audit entry in its transaction and schedules rendering after commit. Views, the API, the worker
and the demo call these.

Errors raised, for callers to map:
- `ValidationError` (field -> messages): bad input (400 / form errors);
- `PaperNotReady`: the paper cannot be published yet, with `problems` saying where (409);
- `Conflict` with a stable `code`: "render_in_progress", "edition_not_failed" (409);
- `PermissionDenied` (403); `RateLimited` (429); `UnsafeContent` (422).

Rendering: `edition_render` claims an edition with one conditional UPDATE (pending, or rendering
whose lease `claimed_until` has passed, and fewer than RENDER_ATTEMPTS attempts), renders the three
files, then saves them and marks the edition ready in one step, only while its claim still holds.
A renderer error marks it failed with a short reason and no files. `editions_reclaim_stale` (run by
the worker) hands stale claims to another worker, or marks them failed after RENDER_ATTEMPTS.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.text import slugify

from coproduce.accounts.models import CreditChoice, User
from coproduce.communities.access import can_read_space
from coproduce.communities.models import Space
from coproduce.governance import audit
from coproduce.governance.policy import check_blocking_for_space, check_for_space
from coproduce.lib.errors import Conflict
from coproduce.lib.markdown import render
from coproduce.lib.ratelimit import hit
from coproduce.reports import sources as source_kinds
from coproduce.reports import tasks
from coproduce.reports.access import can_edit_papers
from coproduce.reports.credits import FORGOTTEN
from coproduce.reports.frozen import FrozenEdition
from coproduce.reports.models import Edition, Paper, PaperCredit, PaperRevision, Section, Source
from coproduce.reports.snapshot import build_snapshot, how_to_cite

logger = logging.getLogger(__name__)

type Errors = dict[str, list[str]]

TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "briefing": [
        ("Summary", "text"),
        ("Key messages", "text"),
        ("Findings", "text"),
        ("Recommendations", "text"),
        ("Method", "text"),
        ("Contributors", "contributors"),
        ("Appendix", "text"),
    ],
    "blank": [("Introduction", "text")],
}
TITLE_MAX = 200
HEADING_MAX = 200
BODY_MAX = 50_000
LICENCE_MAX = 200
CANNOT_EDIT = "Only the space's facilitators and community admins can write its briefing papers."
ERROR_MAX = 300
FORMATS = ("html", "pdf", "docx")
Status = Edition.Status


@dataclass
class SourcePick:
    key: str
    revision: int | None = None


@dataclass
class SectionInput:
    heading: str
    body: str = ""
    kind: str = "text"
    id: int | None = None
    sources: list[SourcePick] | None = None


@dataclass(frozen=True)
class Problem:
    where: str
    message: str


class PaperNotReady(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.where}: {p.message}" for p in problems))
        self.problems = problems


# --- papers ----------------------------------------------------------------------------------


def paper_create(
    *, actor: User, space: Space, title: str, template: str = "briefing", confirmed: bool = False
) -> Paper:
    _require_editor(actor, space)
    errors: Errors = {}
    title = _title(errors, title)
    if template not in TEMPLATES:
        errors["template"] = [f"Choose one of: {', '.join(TEMPLATES)}."]
    _raise(errors)
    confirmation = check_for_space(space=space, fields={"title": title}, confirmed=confirmed)
    now = timezone.now()
    with transaction.atomic():
        paper = Paper.objects.create(
            space=space, title=title, created_by=actor, updated_by=actor, created_at=now, updated_at=now
        )
        for position, (heading, kind) in enumerate(TEMPLATES[template]):
            Section.objects.create(paper=paper, position=position, heading=heading, kind=kind)
        _append_revision(paper, actor)
        audit.record(
            actor=actor,
            action="paper.create",
            target=paper,
            space=space,
            after={"title": title, "template": template},
        )
        confirmation.record(actor=actor, target=paper, space=space, during="paper.create")
    return paper


def paper_update(
    *,
    actor: User,
    paper: Paper,
    title: str | None = None,
    sections: list[SectionInput] | None = None,
    licence: str | None = None,
    confirmed: bool = False,
) -> Paper:
    """Change the title, licence and sections (the list replaces the old one, in order).

    The space's guard policy applies to the text; `confirmed` accepts what it only warns about.
    """
    space = paper.space
    _require_editor(actor, space)
    errors: Errors = {}
    if title is not None:
        title = _title(errors, title)
    if licence is not None:
        licence = " ".join(licence.split())
        if not licence or len(licence) > LICENCE_MAX:
            errors["licence"] = [f"Give the licence, in {LICENCE_MAX} characters or fewer."]
    cards: dict[str, source_kinds.Card] = {}
    if sections is not None:
        _check_sections(errors, paper, sections, actor, cards)
    _raise(errors)
    checked = {"title": title or "", "licence": licence or ""}
    previous = {"title": paper.title, "licence": paper.licence}
    saved = {section.pk: section for section in paper.sections.all()}
    for i, item in enumerate(sections or []):
        checked[f"sections[{i}].heading"] = item.heading
        checked[f"sections[{i}].body"] = item.body
        if item.id in saved:
            previous[f"sections[{i}].heading"] = saved[item.id].heading
            previous[f"sections[{i}].body"] = saved[item.id].body
    confirmation = check_for_space(space=space, fields=checked, confirmed=confirmed, previous=previous)
    with transaction.atomic():
        locked = Paper.objects.select_for_update().get(pk=paper.pk)
        before = {"title": locked.title, "licence": locked.licence}
        if title is not None:
            locked.title = title
        if licence is not None:
            locked.licence = licence
        if sections is not None:
            _replace_sections(locked, sections, actor, cards)
        locked.updated_at, locked.updated_by = timezone.now(), actor
        locked.save()
        number = _append_revision(locked, actor)
        audit.record(
            actor=actor,
            action="paper.update",
            target=locked,
            space=space,
            before=before,
            after={"title": locked.title, "licence": locked.licence, "revision": number},
        )
        confirmation.record(actor=actor, target=locked, space=space, during="paper.update")
    _copy(locked, paper)
    return paper


def section_write(
    *, actor: User, section: Section, heading: str, body: str, confirmed: bool = False
) -> Section:
    paper = section.paper
    space = paper.space
    _require_editor(actor, space)
    errors: Errors = {}
    heading = _heading(errors, "heading", heading)
    body = _body(errors, "body", body)
    _raise(errors)
    confirmation = check_for_space(
        space=space,
        fields={"heading": heading, "body": body},
        confirmed=confirmed,
        previous={"heading": section.heading, "body": section.body},
    )
    with transaction.atomic():
        locked = Section.objects.select_for_update().get(pk=section.pk)
        before = {"heading": locked.heading}  # the text itself is in the paper's revisions
        locked.heading, locked.body = heading, body
        locked.html = render(body, space_slug=space.slug).html
        locked.save(update_fields=["heading", "body", "html"])
        Paper.objects.filter(pk=paper.pk).update(updated_at=timezone.now(), updated_by=actor)
        number = _append_revision(paper, actor)
        audit.record(
            actor=actor,
            action="paper.section_write",
            target=paper,
            space=space,
            before=before,
            after={"section": locked.pk, "heading": heading, "revision": number},
        )
        confirmation.record(actor=actor, target=paper, space=space, during="paper.section_write")
    section.heading, section.body, section.html = locked.heading, locked.body, locked.html
    return section


def source_place(
    *,
    actor: User,
    paper: Paper,
    key: str,
    section: Section | None,
    used: bool | None,
    revision: int | None = None,
    position: int | None = None,
) -> Source:
    """Put a contribution in a section (or back among the unsorted), mark it used, not used or not
    decided (`used=None`). A card moved into a section without a judgement counts as used."""
    space = paper.space
    _require_editor(actor, space)
    if section is not None and section.paper_id != paper.pk:
        raise ValidationError({"section": ["Choose a section of this paper."]})
    existing = Source.objects.filter(paper=paper, key=key).first()
    pinned = revision if revision is not None else (existing.revision if existing else None)
    card = source_kinds.resolve(key, space, actor, pinned)
    if card is None:
        raise ValidationError({"key": ["This contribution is not there any more, or you cannot see it."]})
    with transaction.atomic():
        Paper.objects.select_for_update().filter(pk=paper.pk).first()
        source = _place(
            paper, card, section=section, used=used, position=position, actor=actor, exact_used=True
        )
        Paper.objects.filter(pk=paper.pk).update(updated_at=timezone.now(), updated_by=actor)
        audit.record(
            actor=actor,
            action="paper.source_place",
            target=paper,
            space=space,
            after={
                "key": source.key,
                "label": source.label,
                "section": source.section_id,
                "used": source.used,
                "revision": source.revision,
            },
        )
    return source


def credit_choose(*, actor: User, paper: Paper, credit_as: str | None) -> None:
    """How `actor` is credited on this paper; None goes back to their profile's choice."""
    if not actor.is_member or not can_read_space(actor, paper.space):
        raise PermissionDenied("Only members who can read this space can choose how it credits them.")
    if credit_as is not None and credit_as not in CreditChoice.values:
        raise ValidationError({"credit_as": ["Choose how you want to be credited."]})
    with transaction.atomic():
        if credit_as is None:
            PaperCredit.objects.filter(paper=paper, user=actor).delete()
        else:
            PaperCredit.objects.update_or_create(paper=paper, user=actor, defaults={"credit_as": credit_as})
        audit.record(
            actor=actor,
            action="paper.credit_choose",
            target=paper,
            space=paper.space,
            after={"credit_as": credit_as},
        )


# --- editions --------------------------------------------------------------------------------


def paper_publish(*, actor: User, paper: Paper) -> Edition:
    """Freeze the paper as its next edition and render it in the background."""
    space = paper.space
    _require_editor(actor, space)
    _refuse_if_rendering(paper)
    problems, cards = _problems(paper, actor)
    if problems:
        raise PaperNotReady(problems)
    # What the space blocks refuses; what it only warns about was confirmed as it was written.
    check_blocking_for_space(space=space, fields=_whole_paper(paper))
    hit(scope="paper-render", key=str(actor.pk), limit=settings.PAPER_RENDERS_PER_HOUR, window=3600)
    with transaction.atomic():
        locked = Paper.objects.select_for_update().get(pk=paper.pk)
        _refuse_if_rendering(locked)
        for source in Source.objects.filter(paper=locked, key__in=list(cards)):
            _refresh(source, cards[source.key])
            source.save()
        number = (Edition.objects.filter(paper=locked).aggregate(n=Max("number"))["n"] or 0) + 1
        version = f"{number}.0"
        now = timezone.now()
        frozen = build_snapshot(paper=locked, number=number, version=version, published_at=now)
        edition = Edition.objects.create(
            paper=locked,
            number=number,
            version=version,
            licence=locked.licence,
            how_to_cite=frozen.how_to_cite,
            published_at=now,
            published_by=actor,
            snapshot=frozen.to_dict(),
        )
        audit.record(
            actor=actor,
            action="paper.publish",
            target=locked,
            space=space,
            after={"edition": number, "version": version, "revision": locked.head},
        )
        _enqueue(edition.pk)
    return edition


# What an edition goes back to when it is to be rendered again (retry, rebuild, forget a person).
_RENDER_AGAIN: dict[str, Any] = {
    "status": Status.PENDING,
    "stage": "",
    "progress": 0,
    "error": "",
    "attempts": 0,
    "claimed_until": None,
    "claimed_by": "",
}


def edition_retry(*, actor: User, edition: Edition) -> Edition:
    paper = edition.paper
    _require_editor(actor, paper.space)
    if edition.status != Status.FAILED:
        raise Conflict(
            "Only an edition whose rendering failed can be tried again.", code="edition_not_failed"
        )
    hit(scope="paper-render", key=str(actor.pk), limit=settings.PAPER_RENDERS_PER_HOUR, window=3600)
    with transaction.atomic():
        changed = Edition.objects.filter(pk=edition.pk, status=Status.FAILED).update(**_RENDER_AGAIN)
        if not changed:
            raise Conflict(
                "Only an edition whose rendering failed can be tried again.", code="edition_not_failed"
            )
        audit.record(
            actor=actor,
            action="edition.retry",
            target=edition,
            space=paper.space,
            before={"error": edition.error},
            after={"edition": edition.number},
        )
        _enqueue(edition.pk)
    edition.refresh_from_db()
    return edition


def edition_render(*, edition_id: int, worker: str = "") -> None:
    """Claim the edition, render its three files, save them and mark it ready (see module doc)."""
    worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not _claim(edition_id, worker):
        return
    edition = Edition.objects.select_related("paper").get(pk=edition_id)
    rendered: dict[str, bytes] = {}
    current = "snapshot"
    try:
        from coproduce.reports import renderers

        frozen = FrozenEdition.from_dict(edition.snapshot)
        functions = {
            "html": renderers.render_html,
            "pdf": renderers.render_pdf,
            "docx": renderers.render_docx,
        }
        for step, fmt in enumerate(FORMATS):
            current = fmt
            if not _progress(edition_id, worker, f"Rendering {fmt.upper()}", 10 + 30 * step):
                return
            rendered[fmt] = functions[fmt](frozen)
    except Exception as exc:
        logger.exception("Rendering edition %s failed", edition_id)
        _fail(edition_id, worker, _reason(current, exc))
        return
    try:
        _finish(edition, worker, rendered)
    except Exception as exc:
        logger.exception("Saving the files of edition %s failed", edition_id)
        _fail(edition_id, worker, _reason("files", exc))


def editions_reclaim_stale(*, now: datetime) -> int:
    """Stale claims go to another worker, or fail after RENDER_ATTEMPTS; lost pending ones are sent again."""
    lease = timedelta(seconds=settings.RENDER_LEASE_SECONDS)
    attempts = settings.RENDER_ATTEMPTS
    count = 0
    stale = Edition.objects.filter(status=Status.RENDERING, claimed_until__lt=now)
    for edition in stale.filter(attempts__gte=attempts):
        count += Edition.objects.filter(
            pk=edition.pk, status=Status.RENDERING, claimed_until__lt=now, attempts__gte=attempts
        ).update(
            status=Status.FAILED,
            error=f"The render stopped before it finished (tried {edition.attempts} times)",
            stage="",
            claimed_until=None,
            claimed_by="",
        )
    waiting = Q(status=Status.RENDERING, claimed_until__lt=now, attempts__lt=attempts) | Q(
        status=Status.PENDING, published_at__lt=now - lease, claimed_until__isnull=True
    )
    for pk in Edition.objects.filter(waiting).values_list("pk", flat=True):
        tasks.render_edition.enqueue(pk)
        count += 1
    return count


def edition_rebuild_missing(*, edition: Edition) -> bool:
    """A ready edition's file is gone from storage: render the edition again from its snapshot.

    Nobody acts: a reader asking for the file notices. Only the first notice re-renders (conditional
    update from ready); the edition shows "rendering" meanwhile and nothing half-written is served.
    """
    with transaction.atomic():
        changed = Edition.objects.filter(pk=edition.pk, status=Status.READY).update(**_RENDER_AGAIN)
        if not changed:
            return False
        audit.record(
            actor=None,
            action="edition.rebuild",
            target=edition,
            space=edition.paper.space,
            after={"edition": edition.number, "reason": "files missing from storage"},
        )
        _enqueue(edition.pk)
    return True


def papers_redact(*, space: Space, removed: str, replacement: str = "[redacted]") -> int:
    """A moderator redacted `removed` from a contribution in `space`: take it out of the space's
    papers too. The cards' snapshots (title, excerpt), section text, the draft's revisions and every
    edition's snapshot lose it; editions holding it are rendered again. Returns how many rows changed.

    Called inside the moderator's transaction (governance.redaction); writes one audit entry per
    edition re-rendered, which records that it happened, not what was removed.
    """
    if not removed:
        return 0
    changed = 0
    papers = Paper.objects.filter(space=space)
    for source in Source.objects.filter(paper__in=papers).filter(
        Q(title__contains=removed) | Q(excerpt__contains=removed)
    ):
        source.title = source.title.replace(removed, replacement)
        source.excerpt = source.excerpt.replace(removed, replacement)
        source.save(update_fields=["title", "excerpt"])
        changed += 1
    for section in (
        Section.objects.filter(paper__in=papers)
        .filter(Q(heading__contains=removed) | Q(body__contains=removed))
        .select_related("paper__space")
    ):
        section.heading = section.heading.replace(removed, replacement)
        section.body = section.body.replace(removed, replacement)
        section.html = render(section.body, space_slug=space.slug).html
        section.save(update_fields=["heading", "body", "html"])
        changed += 1
    for revision in PaperRevision.objects.filter(paper__in=papers):
        content = _replaced(revision.content, removed, replacement)
        if content != revision.content:
            PaperRevision.objects.filter(pk=revision.pk).update(content=content)
            changed += 1
    for edition in Edition.objects.select_for_update().filter(paper__in=papers):  # see forget_person
        snapshot = _replaced(edition.snapshot, removed, replacement)
        if snapshot == edition.snapshot:
            continue
        Edition.objects.filter(pk=edition.pk).update(
            snapshot=snapshot, how_to_cite=edition.how_to_cite.replace(removed, replacement), **_RENDER_AGAIN
        )
        _drop_files(edition)  # the old files still hold the text
        audit.record(
            actor=None,
            action="edition.redact",
            target=edition,
            space=space,
            after={"edition": edition.number},
        )
        _enqueue(edition.pk)
        changed += 1
    return changed


def _replaced(value: Any, removed: str, replacement: str) -> Any:
    if isinstance(value, str):
        return value.replace(removed, replacement)
    if isinstance(value, list):
        return [_replaced(item, removed, replacement) for item in value]
    if isinstance(value, dict):
        return {key: _replaced(item, removed, replacement) for key, item in value.items()}
    return value


def editions_forget_person(*, user_id: int) -> int:
    """A person asked to be erased: their credit in every edition becomes "a contributor"."""
    changed = 0
    for pk in Edition.objects.filter(snapshot__credits__isnull=False).values_list("pk", flat=True):
        with transaction.atomic():
            # Read again under a lock: a redaction may be rewriting the same snapshot meanwhile.
            edition = Edition.objects.select_for_update().select_related("paper__space").get(pk=pk)
            data = dict(edition.snapshot)
            credits = data.get("credits") or []
            if not any(c.get("user_id") == user_id for c in credits):
                continue
            data["credits"] = [
                {**c, "name": FORGOTTEN, "user_id": None} if c.get("user_id") == user_id else c
                for c in credits
            ]
            frozen = FrozenEdition.from_dict(data)
            cite = how_to_cite(
                credit_line=frozen.credit_line,
                year=timezone.localtime(edition.published_at).year,
                title=frozen.title,
                number=frozen.number,
                version=frozen.version,
                url=frozen.url,
            )
            data["how_to_cite"] = cite
            Edition.objects.filter(pk=edition.pk).update(snapshot=data, how_to_cite=cite, **_RENDER_AGAIN)
            _drop_files(edition)  # the old files still name them
            audit.record(
                actor=None,
                action="edition.forget_person",
                target=edition,
                space=edition.paper.space,
                after={"edition": edition.number},
            )
            _enqueue(edition.pk)
        changed += 1
    return changed


# --- rendering steps -------------------------------------------------------------------------


def _claim(edition_id: int, worker: str) -> bool:
    now = timezone.now()
    claimable = Q(status=Status.PENDING) | Q(status=Status.RENDERING, claimed_until__lt=now)
    return bool(
        Edition.objects.filter(claimable, pk=edition_id, attempts__lt=settings.RENDER_ATTEMPTS).update(
            status=Status.RENDERING,
            claimed_by=worker,
            claimed_until=now + timedelta(seconds=settings.RENDER_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            stage="Starting",
            progress=0,
            error="",
        )
    )


def _progress(edition_id: int, worker: str, stage: str, progress: int) -> bool:
    """Record the stage and renew the lease; False when the claim was lost."""
    lease = timezone.now() + timedelta(seconds=settings.RENDER_LEASE_SECONDS)
    return bool(
        Edition.objects.filter(pk=edition_id, claimed_by=worker, status=Status.RENDERING).update(
            stage=stage, progress=progress, claimed_until=lease
        )
    )


def _fail(edition_id: int, worker: str, reason: str) -> None:
    Edition.objects.filter(pk=edition_id, claimed_by=worker, status=Status.RENDERING).update(
        status=Status.FAILED, error=reason, stage="", claimed_until=None
    )


def _reason(fmt: str, exc: Exception) -> str:
    what = {"snapshot": "reading the frozen edition", "files": "saving the files"}.get(
        fmt, f"rendering the {fmt.upper()} file"
    )
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return f"Failed while {what}: {detail}"[:ERROR_MAX]


def _finish(edition: Edition, worker: str, rendered: dict[str, bytes]) -> None:
    base = f"{slugify(edition.paper.title)[:60] or 'paper'}-edition-{edition.number}"
    with transaction.atomic():
        locked = Edition.objects.select_for_update().filter(pk=edition.pk, claimed_by=worker).first()
        if locked is None or locked.status != Status.RENDERING:
            return
        old = [f.name for f in (locked.html_file, locked.pdf_file, locked.docx_file) if f]
        for fmt, data in rendered.items():
            getattr(locked, f"{fmt}_file").save(f"{base}.{fmt}", ContentFile(data), save=False)
        locked.status, locked.stage, locked.progress = Status.READY, "", 100
        locked.claimed_until, locked.rendered_at, locked.error = None, timezone.now(), ""
        locked.save()
        storage = locked.pdf_file.storage
        new = {locked.html_file.name, locked.pdf_file.name, locked.docx_file.name}
        stale = [name for name in old if name and name not in new]
        transaction.on_commit(partial(_delete_files, storage, stale))


def _drop_files(edition: Edition) -> None:
    """Forget the edition's files now and delete them after commit (they are rendered again)."""
    names = [str(f.name) for f in (edition.html_file, edition.pdf_file, edition.docx_file) if f]
    if not names:
        return
    Edition.objects.filter(pk=edition.pk).update(html_file="", pdf_file="", docx_file="")
    transaction.on_commit(partial(_delete_files, edition.pdf_file.storage, names))


def _delete_files(storage: Storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


def _enqueue(edition_id: int) -> None:
    transaction.on_commit(partial(tasks.render_edition.enqueue, edition_id))


# --- checks ----------------------------------------------------------------------------------


def _require_editor(actor: User, space: Space) -> None:
    if not can_edit_papers(actor, space):
        raise PermissionDenied(CANNOT_EDIT)


def _refuse_if_rendering(paper: Paper) -> None:
    busy = Edition.objects.filter(paper=paper, status__in=[Status.PENDING, Status.RENDERING]).exists()
    if busy:
        raise Conflict("An edition of this paper is still being rendered.", code="render_in_progress")


def _where(i: int, section: Section) -> str:
    return f"Section {i} “{section.heading}”"


def _problems(paper: Paper, actor: User) -> tuple[list[Problem], dict[str, source_kinds.Card]]:
    problems: list[Problem] = []
    sections = list(paper.sections.order_by("position", "pk"))
    if not sections:
        problems.append(Problem("Paper", "The paper has no sections."))
    for i, section in enumerate(sections, start=1):
        if section.kind == Section.Kind.TEXT and not section.body.strip():
            problems.append(Problem(_where(i, section), "This section has no text yet."))
    cards: dict[str, source_kinds.Card] = {}
    for source in paper.sources.filter(used=True, section__isnull=False).order_by("label"):
        card = source_kinds.resolve(source.key, paper.space, actor, source.revision)
        if card is None:
            problems.append(
                Problem(
                    f"S{source.label} “{source.title}”",
                    "This source is no longer available (deleted, hidden or not readable): "
                    "remove it or mark it not used.",
                )
            )
        else:
            cards[source.key] = card
    return problems, cards


def _whole_paper(paper: Paper) -> dict[str, str]:
    fields = {"Title": paper.title}
    for i, section in enumerate(paper.sections.order_by("position", "pk"), start=1):
        fields[f"{_where(i, section)} heading"] = section.heading
        fields[_where(i, section)] = section.body
    return fields


def _title(errors: Errors, title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = ["Give the paper a title."]
    elif len(title) > TITLE_MAX:
        errors["title"] = [f"The title must be {TITLE_MAX} characters or fewer."]
    return title


def _heading(errors: Errors, field: str, heading: str) -> str:
    heading = " ".join((heading or "").split())
    if not heading:
        errors[field] = ["Give the section a heading."]
    elif len(heading) > HEADING_MAX:
        errors[field] = [f"A heading must be {HEADING_MAX} characters or fewer."]
    return heading


def _body(errors: Errors, field: str, body: str) -> str:
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if len(body) > BODY_MAX:
        errors[field] = [f"A section must be {BODY_MAX:,} characters or fewer."]
    return body


def _check_sections(
    errors: Errors,
    paper: Paper,
    sections: list[SectionInput],
    actor: User,
    cards: dict[str, source_kinds.Card],
) -> None:
    own = set(paper.sections.values_list("pk", flat=True))
    seen_ids: set[int] = set()
    seen_keys: set[str] = set()
    pinned = dict(Source.objects.filter(paper=paper).values_list("key", "revision"))
    for i, item in enumerate(sections):
        item.heading = _heading(errors, f"sections[{i}].heading", item.heading)
        item.body = _body(errors, f"sections[{i}].body", item.body)
        if item.kind not in Section.Kind.values:
            errors[f"sections[{i}].kind"] = ["Choose a text or contributors section."]
        if item.id is not None:
            if item.id not in own or item.id in seen_ids:
                errors["sections"] = [f"Section {i + 1} is not a section of this paper."]
            seen_ids.add(item.id)
        for pick in item.sources or []:
            if pick.key in seen_keys:
                errors[f"sections[{i}].sources"] = [f"{pick.key} is placed in more than one section."]
                continue
            seen_keys.add(pick.key)
            revision = pick.revision if pick.revision is not None else pinned.get(pick.key)
            card = source_kinds.resolve(pick.key, paper.space, actor, revision)
            if card is None:
                errors[f"sections[{i}].sources"] = [
                    f"{pick.key} is not there any more, or you cannot see it."
                ]
            else:
                cards[pick.key] = card


def _replace_sections(
    paper: Paper, sections: list[SectionInput], actor: User, cards: dict[str, source_kinds.Card]
) -> None:
    keep = [item.id for item in sections if item.id is not None]
    Section.objects.filter(paper=paper).exclude(pk__in=keep).delete()  # their sources go unsorted
    existing = Section.objects.in_bulk(keep)
    for position, item in enumerate(sections):
        section = existing.get(item.id) if item.id is not None else None
        if section is None:
            section = Section(paper=paper)
        section.position, section.heading, section.kind, section.body = (
            position,
            item.heading,
            item.kind,
            item.body,
        )
        section.html = render(item.body, space_slug=paper.space.slug).html
        section.save()
        if item.sources is None:
            continue
        keys = [pick.key for pick in item.sources]
        Source.objects.filter(paper=paper, section=section).exclude(key__in=keys).update(section=None)
        for order, pick in enumerate(item.sources):
            _place(
                paper,
                cards[pick.key],
                section=section,
                used=True,
                position=order,
                actor=actor,
                renumber=False,
            )


def _place(
    paper: Paper,
    card: source_kinds.Card,
    *,
    section: Section | None,
    used: bool | None,
    position: int | None,
    actor: User,
    renumber: bool = True,
    exact_used: bool = False,
) -> Source:
    """Place `card`; `used=None` leaves the judgement as it was, or with `exact_used` clears it
    (except that a card moved into a section without one counts as used)."""
    source = Source.objects.filter(paper=paper, key=card.key).first()
    if source is None:
        label = (Source.objects.filter(paper=paper).aggregate(n=Max("label"))["n"] or 0) + 1
        source = Source(paper=paper, key=card.key, kind=card.kind, label=label, added_by=actor)
        source.object_id = int(card.key.split(":", 1)[1].split("#", 1)[0])
        source.part = card.part
        if used is None and section is not None:
            used = True
    siblings = (
        Source.objects.filter(paper=paper, section=section)
        .exclude(pk=source.pk)
        .order_by("position", "label")
    )
    moving = source.pk is None or source.section_id != (section.pk if section is not None else None)
    if position is None:
        if moving:
            last = siblings.aggregate(n=Max("position"))["n"]
            source.position = 0 if last is None else last + 1
    else:
        source.position = max(position, 0)
        if renumber:
            for order, other in enumerate(siblings):
                new = order if order < source.position else order + 1
                if other.position != new:
                    Source.objects.filter(pk=other.pk).update(position=new)
    if used is None and moving and section is not None:
        used = True
    source.section = section
    if used is not None or exact_used:
        source.used = used
    _refresh(source, card)
    source.save()
    return source


def _refresh(source: Source, card: source_kinds.Card) -> None:
    source.revision = card.revision
    source.title = card.title[:300]
    source.excerpt = card.excerpt
    source.url = card.url[:500]
    source.author_ids = list(card.author_ids)
    source.contributed_at = card.contributed_at


def _append_revision(paper: Paper, actor: User) -> int:
    number = (PaperRevision.objects.filter(paper=paper).aggregate(n=Max("number"))["n"] or 0) + 1
    content: dict[str, Any] = {
        "title": paper.title,
        "licence": paper.licence,
        "sections": [
            {
                "id": s.pk,
                "heading": s.heading,
                "kind": s.kind,
                "body": s.body,
                "sources": list(s.sources.order_by("position", "label").values_list("key", flat=True)),
            }
            for s in paper.sections.order_by("position", "pk")
        ],
    }
    PaperRevision.objects.create(paper=paper, number=number, author=actor, content=content)
    Paper.objects.filter(pk=paper.pk).update(head=number)
    paper.head = number
    return number


def _copy(source: Paper, target: Paper) -> None:
    if source is not target:
        for name in ("title", "licence", "head", "updated_at", "updated_by"):
            setattr(target, name, getattr(source, name))


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


__all__ = [
    "TEMPLATES",
    "PaperNotReady",
    "Problem",
    "SectionInput",
    "SourcePick",
    "credit_choose",
    "edition_render",
    "edition_retry",
    "editions_forget_person",
    "editions_reclaim_stale",
    "paper_create",
    "paper_publish",
    "paper_update",
    "section_write",
    "source_place",
]
