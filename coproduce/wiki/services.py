"""Every change to the wiki: one keyword-only function per change.

Each function checks permission, validates, passes the text a person typed through the
patient-data guard, writes its audit entry inside one transaction and, after commit, asks the
search index to refresh the page. The HTML views and the JSON API call these same functions.

No lost updates: a save names the revision it started from (`base_revision`). Inside the
transaction the page row is locked (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite every
write transaction is IMMEDIATE, which already lets one writer in at a time) and its `head`
re-read. If the page moved on meanwhile, the edit is merged three-way with what was saved;
disjoint edits save as a merged revision, overlapping ones raise `EditConflict` and nothing is
saved. So two saves on the same base can never both be accepted without a merge.

Errors raised, for callers to map:
- `ValidationError` with a dict of field -> messages: bad input (HTTP 400 / form errors),
  including a `base_revision` or `revision` the page does not have;
- `EditConflict`: overlapping edits (409), carrying the text with conflict markers and both sides;
- `PermissionDenied`: the actor may not do this (403);
- `UnsafeContent` from `check_submission`: patient-identifiable data (422 / form error);
- `NeedsConfirmation` (an `UnsafeContent`) from `governance.policy.check_for_space`: something
  the space's guard policy warns about, not confirmed (422 `confirmation_required` / the form
  asks to confirm).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.communities.access import can_manage_space, can_read_space
from coproduce.communities.models import Space
from coproduce.governance import audit, moderation, moderation_access, words
from coproduce.governance.policy import check_blocking_for_space, check_for_space
from coproduce.governance.safety import check_submission
from coproduce.lib import ratelimit
from coproduce.lib.diff import change_size
from coproduce.lib.markdown import Link, Rendered, render
from coproduce.search import index
from coproduce.wiki.access import CANNOT_EDIT, can_edit_space
from coproduce.wiki.merge import conflict_labels, merge
from coproduce.wiki.models import Page, PageAlias, PageLink, PageTemplate, Revision, Watch
from coproduce.wiki.slugs import TITLE_MAX_LENGTH, clean_title, free_slug, slug_base

type Errors = dict[str, list[str]]

SUMMARY_MAX_LENGTH = 300
TEMPLATE_NAME_MAX_LENGTH = 100
DUPLICATE_TEMPLATE = "This space already has a template with that name."
CREATE_ATTEMPTS = 3  # a concurrent page with the same slug makes us pick the next free one
# Control characters other than tab and newline never belong in a page (PostgreSQL refuses NUL).
_BODY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class SaveResult:
    revision: Revision
    merged: bool  # True when edits made meanwhile were merged in


class EditConflict(Exception):
    """Overlapping edits: nothing was saved."""

    def __init__(
        self,
        *,
        current_revision: int,
        body_with_conflicts: str,
        their_body: str,
        your_body: str,
        your_title: str,
        their_title: str,
    ) -> None:
        super().__init__(
            f"The page changed meanwhile (now revision {current_revision}) and the edits overlap."
        )
        self.current_revision = current_revision  # the page's head now
        self.body_with_conflicts = body_with_conflicts  # merge3 output with <<<<<<< ======= >>>>>>> markers
        self.their_body = their_body  # the current revision's body
        self.your_body = your_body  # what the person submitted (never lost)
        self.your_title = your_title
        self.their_title = their_title


# --- pages ---------------------------------------------------------------------------------


def page_create(
    *,
    space: Space,
    actor: User,
    title: str,
    body: str,
    summary: str = "",
    parent: Page | None = None,
    confirmed: bool = False,
) -> Page:
    """A new page with its first revision; earlier red links to its title or slug now reach it.

    The space's guard policy applies to the title, text and summary: `NeedsConfirmation` for
    what it warns about unless `confirmed` (then a `guard.confirmed` audit entry).
    """
    _require_editor(actor, space)
    errors: Errors = {}
    title, body, summary = _title(errors, title), _body(errors, body), _summary(errors, summary)
    if parent is not None and parent.space_id != space.pk:
        errors["parent"] = ["Choose a parent page in the same space."]
    _raise(errors)
    fields = {"title": title, "body": body, "summary": summary}
    confirmation = check_for_space(space=space, fields=fields, confirmed=confirmed)
    screening = words.screen(fields)
    ratelimit.hit(scope="page-save", key=str(actor.pk), limit=settings.PAGE_SAVES_PER_HOUR, window=3600)
    rendered = render(body, space_slug=space.slug)
    now = timezone.now()
    with transaction.atomic():
        page = _insert_page(space=space, title=title, parent=parent, actor=actor, now=now)
        revision = Revision.objects.create(
            page=page,
            number=1,
            title=title,
            body=body,
            html=rendered.html,
            summary=summary,
            author=actor,
            created_at=now,
            chars_added=len(body),
        )
        page.head, page.current = 1, revision
        page.save(update_fields=["head", "current"])
        _store_links(page, rendered.links)
        _resolve_red_links(page)
        audit.record(
            actor=actor,
            action="page.create",
            target=page,
            space=space,
            after={"title": title, "slug": page.slug, "revision": 1},
        )
        confirmation.record(actor=actor, target=page, space=space, during="page.create", revision=1)
        _flag_if_watched(page, screening)
        _index_on_commit(page)
    return page


def page_save(
    *,
    page: Page,
    actor: User,
    body: str,
    base_revision: int,
    title: str | None = None,
    summary: str = "",
    confirmed: bool = False,
) -> SaveResult:
    """Save a new revision of `page` edited from revision `base_revision`, merging if needed.

    Saving exactly what the page already holds adds no revision: the result is the current one.
    The space's guard policy applies as in `page_create`; text merged in from edits made
    meanwhile (already checked when it was saved) is held only to the policy's blocking kinds.
    """
    space = page.space
    _require_editor(actor, space)
    errors: Errors = {}
    body, summary = _body(errors, body), _summary(errors, summary)
    new_title = _title(errors, title) if title is not None else None
    if isinstance(base_revision, bool) or not isinstance(base_revision, int) or base_revision < 1:
        errors["base_revision"] = ["Give the number of the revision you started editing from."]
    _raise(errors)
    submitted = {"body": body, "summary": summary} | ({"title": new_title} if new_title is not None else {})
    before = page.current
    previous = {"body": before.body, "title": before.title, "summary": ""} if before is not None else None
    confirmation = check_for_space(space=space, fields=submitted, confirmed=confirmed, previous=previous)
    screening = words.screen(submitted)
    ratelimit.hit(scope="page-save", key=str(actor.pk), limit=settings.PAGE_SAVES_PER_HOUR, window=3600)
    rendered = render(body, space_slug=space.slug)  # before taking the lock: the usual case needs no merge
    with transaction.atomic():
        locked = _lock(page)
        head = _current(locked)
        final_body, final_title, merged = body, new_title if new_title is not None else head.title, False
        if base_revision != locked.head:
            base = _base_revision(locked, base_revision)
            final_body, final_title = _merged(locked, base, head, body=body, title=new_title)
            merged = True
            if final_body != body:
                check_blocking_for_space(space=space, fields={"body": final_body})
                rendered = render(final_body, space_slug=space.slug)
        if final_body == head.body and final_title == head.title:
            _copy_state(locked, page)
            return SaveResult(revision=head, merged=merged)
        revision = _append_revision(
            locked,
            previous=head,
            actor=actor,
            title=final_title,
            body=final_body,
            rendered=rendered,
            summary=summary,
            based_on=base_revision,
            merged=merged,
        )
        audit.record(
            actor=actor,
            action="page.save",
            target=locked,
            space=space,
            before={"revision": head.number, "title": head.title},
            after={
                "revision": revision.number,
                "title": revision.title,
                "based_on": base_revision,
                "merged": merged,
                "chars_added": revision.chars_added,
                "chars_removed": revision.chars_removed,
            },
        )
        confirmation.record(
            actor=actor, target=locked, space=space, during="page.save", revision=revision.number
        )
        _flag_if_watched(locked, screening)
    _copy_state(locked, page)
    return SaveResult(revision=revision, merged=merged)


def page_revert(*, page: Page, actor: User, revision: int, summary: str = "") -> Revision:
    """A new revision with the title and body of revision `revision` (history is never rewritten)."""
    space = page.space
    _require_editor(actor, space)
    errors: Errors = {}
    summary = _summary(errors, summary)
    _raise(errors)
    check_blocking_for_space(space=space, fields={"summary": summary})
    with transaction.atomic():
        locked = _lock(page)
        target = None
        if isinstance(revision, int) and not isinstance(revision, bool):
            target = Revision.objects.filter(page=locked, number=revision).first()
        if target is None:
            raise ValidationError({"revision": ["This page has no such revision."]})
        if target.number == locked.head:
            raise ValidationError({"revision": ["This is already the current revision."]})
        # What the space blocks now is not put back, even if it was allowed when first written.
        check_blocking_for_space(space=space, fields={"title": target.title, "body": target.body})
        head = _current(locked)
        new = _append_revision(
            locked,
            previous=head,
            actor=actor,
            title=target.title,
            body=target.body,
            rendered=render(target.body, space_slug=space.slug),
            summary=summary or f"Reverted to revision {target.number}",
            based_on=head.number,
            reverted_to=target.number,
        )
        audit.record(
            actor=actor,
            action="page.revert",
            target=locked,
            space=space,
            before={"revision": head.number, "title": head.title},
            after={"revision": new.number, "title": new.title, "reverted_to": target.number},
        )
    _copy_state(locked, page)
    return new


# --- page templates ----------------------------------------------------------------------------


def page_template_create(*, space: Space, actor: User, name: str, body: str) -> PageTemplate:
    _require_manager(actor, space)
    name, body = _template_fields(space, name, body)
    with transaction.atomic():
        template = _unique_name(
            lambda: PageTemplate.objects.create(space=space, name=name, body=body, created_by=actor)
        )
        audit.record(
            actor=actor, action="page_template.create", target=template, space=space, after={"name": name}
        )
    return template


def page_template_update(*, template: PageTemplate, actor: User, name: str, body: str) -> PageTemplate:
    space = template.space
    _require_manager(actor, space)
    name, body = _template_fields(space, name, body, exclude=template.pk)
    before = {"name": template.name, "body_chars": len(template.body)}
    with transaction.atomic():
        template.name, template.body = name, body
        _unique_name(lambda: template.save(update_fields=["name", "body"]))
        audit.record(
            actor=actor,
            action="page_template.update",
            target=template,
            space=space,
            before=before,
            after={"name": name, "body_chars": len(body)},
        )
    return template


def page_template_delete(*, template: PageTemplate, actor: User) -> None:
    space = template.space
    _require_manager(actor, space)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="page_template.delete",
            target=template,
            space=space,
            before={"name": template.name},
        )
        template.delete()


# --- watching ----------------------------------------------------------------------------------


def watch_set(*, user: User, watching: bool, page: Page | None = None, space: Space | None = None) -> None:
    """Start or stop watching one page or one whole space (exactly one of them)."""
    target: Page | Space
    if page is not None and space is None:
        target, target_space = page, page.space
    elif space is not None and page is None:
        target = target_space = space
    else:
        raise ValueError("Watch exactly one page or one space.")
    if not can_read_space(user, target_space):
        raise PermissionDenied("You cannot watch this.")
    with transaction.atomic():
        if watching:
            Watch.objects.get_or_create(user=user, page=page, space=space)
        else:
            Watch.objects.filter(user=user, page=page, space=space).delete()
        audit.record(
            actor=user, action="watch.set", target=target, space=target_space, after={"watching": watching}
        )


# --- helpers -----------------------------------------------------------------------------------


def _require_editor(actor: User, space: Space) -> None:
    moderation_access.refuse_if_suspended(actor)
    if not can_edit_space(actor, space):
        raise PermissionDenied(CANNOT_EDIT)


def _flag_if_watched(page: Page, screening: words.Screening) -> None:
    """Pages are never held: a "hold" or "flag" watched word saves the page and flags it."""
    if screening.action is not None:
        moderation.flag_raise_automatic(page=page, phrases=screening.phrases)


def _require_manager(actor: User, space: Space) -> None:
    if not can_manage_space(actor, space):
        raise PermissionDenied("Only the space's facilitators and community admins can change templates.")


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _title(errors: Errors, title: str) -> str:
    title = clean_title(title)
    if not title:
        errors["title"] = ["Enter a title."]
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [f"The title must be {TITLE_MAX_LENGTH} characters or fewer."]
    return title


def _body(errors: Errors, body: str, *, required: bool = True) -> str:
    body = _BODY_CONTROLS.sub("", body.replace("\r\n", "\n").replace("\r", "\n"))
    limit = settings.WIKI_MAX_BODY_CHARS
    if required and not body.strip():
        errors["body"] = ["Enter the page's text."]
    elif len(body) > limit:
        errors["body"] = [f"The text must be {limit:,} characters or fewer; it has {len(body):,}."]
    return body


def _summary(errors: Errors, summary: str) -> str:
    summary = clean_title(summary)
    if len(summary) > SUMMARY_MAX_LENGTH:
        errors["summary"] = [f"The edit summary must be {SUMMARY_MAX_LENGTH} characters or fewer."]
    return summary


def _template_fields(space: Space, name: str, body: str, *, exclude: int | None = None) -> tuple[str, str]:
    errors: Errors = {}
    name = clean_title(name)
    if not name:
        errors["name"] = ["Enter a name for the template."]
    elif len(name) > TEMPLATE_NAME_MAX_LENGTH:
        errors["name"] = [f"The name must be {TEMPLATE_NAME_MAX_LENGTH} characters or fewer."]
    elif PageTemplate.objects.filter(space=space, name=name).exclude(pk=exclude or 0).exists():
        errors["name"] = [DUPLICATE_TEMPLATE]
    body = _body(errors, body, required=False)
    _raise(errors)
    check_submission({"name": name, "body": body})
    return name, body


def _unique_name[T](create: Callable[[], T]) -> T:
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        raise ValidationError({"name": [DUPLICATE_TEMPLATE]}) from None


def _lock(page: Page) -> Page:
    """The page row, locked until the transaction ends, with its head re-read."""
    return Page.objects.select_for_update(of=("self",)).select_related("space").get(pk=page.pk)


def _current(page: Page) -> Revision:
    return Revision.objects.defer("html").get(page=page, number=page.head)


def _base_revision(page: Page, number: int) -> Revision:
    base = Revision.objects.filter(page=page, number=number).first() if number < page.head else None
    if base is None:
        raise ValidationError({"base_revision": [f"This page has no revision {number} to start from."]})
    return base


def _merged(page: Page, base: Revision, head: Revision, *, body: str, title: str | None) -> tuple[str, str]:
    """The body and title with both sides' edits, or EditConflict when they overlap."""
    their_label, your_label = conflict_labels(current_revision=head.number, base_revision=base.number)
    result = merge(base.body, head.body, body, their_label=their_label, your_label=your_label)
    merged_title = _merge_title(base.title, head.title, title)
    if result.conflicted or merged_title is None:
        raise EditConflict(
            current_revision=head.number,
            body_with_conflicts=result.text,
            their_body=head.body,
            your_body=body,
            your_title=title if title is not None else head.title,
            their_title=head.title,
        )
    return result.text, merged_title


def _merge_title(base: str, theirs: str, yours: str | None) -> str | None:
    if yours is None or yours in (base, theirs):
        return theirs
    return yours if theirs == base else None


def _append_revision(
    page: Page,
    *,
    previous: Revision,
    actor: User,
    title: str,
    body: str,
    rendered: Rendered,
    summary: str,
    based_on: int,
    merged: bool = False,
    reverted_to: int | None = None,
) -> Revision:
    """Add revision head+1 to the locked `page` and make it current (links, slug and index follow)."""
    now = timezone.now()
    added, removed = change_size(previous.body, body)
    revision = Revision.objects.create(
        page=page,
        number=page.head + 1,
        title=title,
        body=body,
        html=rendered.html,
        summary=summary,
        author=actor,
        created_at=now,
        based_on=based_on,
        merged=merged,
        reverted_to=reverted_to,
        chars_added=added,
        chars_removed=removed,
    )
    renamed = title != page.title
    if renamed:
        _rename(page, title)
    page.head, page.current, page.updated_at, page.updated_by = revision.number, revision, now, actor
    page.save(update_fields=["title", "slug", "head", "current", "updated_at", "updated_by"])
    _store_links(page, rendered.links)
    if renamed:
        _resolve_red_links(page)
    _index_on_commit(page)
    return revision


def _insert_page(*, space: Space, title: str, parent: Page | None, actor: User, now: datetime) -> Page:
    for attempt in range(CREATE_ATTEMPTS):
        try:
            with transaction.atomic():
                return Page.objects.create(
                    space=space,
                    slug=_free_slug(space, title),
                    title=title,
                    parent=parent,
                    created_at=now,
                    created_by=actor,
                    updated_at=now,
                    updated_by=actor,
                )
        except IntegrityError:
            if attempt == CREATE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _free_slug(space: Space, title: str, *, page: Page | None = None) -> str:
    """A slug for `title` that no other page of the space has or had; the page's own old slugs are free."""
    base = slug_base(title)
    others = Page.objects.filter(space=space, slug__startswith=base)
    aliases = PageAlias.objects.filter(space=space, slug__startswith=base)
    if page is not None:
        others, aliases = others.exclude(pk=page.pk), aliases.exclude(page=page)
    taken = set(others.values_list("slug", flat=True)) | set(aliases.values_list("slug", flat=True))
    return free_slug(base, taken)


def _rename(page: Page, title: str) -> None:
    """Give the page `title`; its slug follows and the old slug becomes an alias that redirects."""
    old_slug, page.title = page.slug, title
    new_slug = _free_slug(page.space, title, page=page)
    if new_slug == old_slug:
        return
    PageAlias.objects.filter(space=page.space, slug=new_slug, page=page).delete()
    PageAlias.objects.get_or_create(space=page.space, slug=old_slug, defaults={"page": page})
    page.slug = new_slug


def _store_links(page: Page, links: list[Link]) -> None:
    """Replace the page's outgoing links with those of its current revision, resolved where possible.

    A link reaches the page with exactly that title, else the page with that slug, else the
    page that used to have that slug; otherwise it is a red link (target None).
    """
    PageLink.objects.filter(source=page).delete()
    if not links:
        return
    slugs, titles = {link.slug for link in links}, {link.title for link in links}
    by_title: dict[str, int] = {}
    by_slug: dict[str, int] = {}
    # Two look-ups, each on its index, rather than one with OR, which SQLite answers by reading
    # every page of the space (50 ms a save with 50,000 pages in a space).
    in_space = Page.objects.filter(space_id=page.space_id).order_by()
    by_slug.update(in_space.filter(slug__in=slugs).values_list("slug", "pk"))
    for title, pk in sorted(in_space.filter(title__in=titles).values_list("title", "pk"), key=lambda r: r[1]):
        by_title.setdefault(title, pk)  # the oldest page of that title
    missing = slugs - by_slug.keys()
    by_alias: dict[str, int] = (
        dict(
            PageAlias.objects.filter(space_id=page.space_id, slug__in=missing).values_list("slug", "page_id")
        )
        if missing
        else {}
    )
    PageLink.objects.bulk_create(
        PageLink(
            source=page,
            target_id=by_title.get(link.title) or by_slug.get(link.slug) or by_alias.get(link.slug),
            target_slug=link.slug,
            target_title=link.title,
        )
        for link in links
    )


def _resolve_red_links(page: Page) -> None:
    """Red links in the space asking for this page's title or slug now reach it."""
    PageLink.objects.filter(
        Q(target_slug=page.slug) | Q(target_title=page.title),
        source__space_id=page.space_id,
        target__isnull=True,
    ).update(target=page)


def _copy_state(locked: Page, page: Page) -> None:
    """Let the caller's `page` object see what was saved (new slug after a rename, head, current)."""
    if locked is not page:
        for field in ("title", "slug", "head", "current", "updated_at", "updated_by"):
            setattr(page, field, getattr(locked, field))


def _index_on_commit(page: Page) -> None:
    # robust: the page is saved whatever happens to the search index; its failure is logged.
    page_id = page.pk
    transaction.on_commit(lambda: index.index_page(page_id), robust=True)
