"""Redaction: a community moderator replaces a guard finding with "[redacted]" wherever it is stored.

Revisions are append-only and comments are rewritten only by their authors; redaction is the one
exception, for patient-identifiable data that got through (a warning confirmed, an older rule, a
name the guard missed a later rule found). It is allowed to community moderators and admins only
(not to space moderators: it rewrites history).

What a redaction of a finding in a wiki revision rewrites, in one transaction:

- the revision's field (`title`, `summary` or `body`) and, for the body, its stored HTML
  (rendered again from the redacted Markdown);
- if the revision is the page's current one and the field is the title, `Page.title`; the
  titles kept in the page's outgoing links (`PageLink.target_title`); the page's address when
  its slug holds the text ("john-smith-admitted" becomes "redacted-admitted", with no alias
  kept for the old one) and old addresses (aliases) that hold it;
- the search index row of the page (`coproduce.search.index.index_page`, run at once, so the
  index never holds the text after the commit; it also moves the index version on, which makes
  every cached search answer stale);
- the page's audit entries (`target_label` and any text in `before` / `after`, where titles are
  kept) and the notifications made from them (`Notification.text`);
- the anonymous page cache (`coproduce.core.pagecache`): the audit entry written for the
  redaction moves the content version on after commit, so no cached copy is served again.

A comment's redaction rewrites its body and HTML, its audit entries and their notifications.

The audit entry of the redaction says who, which revision (or comment), which field and which
kinds of finding, never the text that was removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.text import slugify

from coproduce.accounts.models import User
from coproduce.communities.access import Viewer
from coproduce.discussions.mentions import mentioned_users
from coproduce.discussions.models import Comment
from coproduce.governance import audit, moderation_access
from coproduce.governance.models import AuditEntry
from coproduce.governance.safety import KIND_LABELS, Finding, scan
from coproduce.lib.markdown import render, render_comment
from coproduce.notifications.models import Notification
from coproduce.reports.services import papers_redact
from coproduce.search import index
from coproduce.wiki.models import Page, PageAlias, PageLink, Revision
from coproduce.wiki.slugs import free_slug, slug_base

REDACTED = "[redacted]"
CONTEXT_CHARS = 40  # shown either side of a finding to the moderator deciding on it

type RevisionField = Literal["title", "summary", "body"]
REVISION_FIELDS: tuple[RevisionField, ...] = ("title", "summary", "body")

STALE = "That text has changed since the page was shown (perhaps it was already redacted). Look again."
NOT_ALLOWED = "Only the community's moderators and admins can redact."


@dataclass(frozen=True)
class Redactable:
    """A finding of the guard in one field, with a little of the text around it for a moderator."""

    field: str
    kind: str
    start: int
    end: int
    before: str
    found: str
    after: str

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


# --- who may ---------------------------------------------------------------------------------


def can_redact(viewer: Viewer) -> bool:
    """Community moderators and admins who are members in good standing."""
    return isinstance(viewer, User) and viewer.is_member and viewer.is_moderator


def require_redactor(viewer: Viewer) -> User:
    if not can_redact(viewer):
        raise PermissionDenied(NOT_ALLOWED)
    assert isinstance(viewer, User)
    return viewer


def get_revision_for_redactor(viewer: Viewer, pk: int) -> Revision:
    """Revision `pk`: 404 if the viewer cannot see its page, 403 if they cannot redact."""
    revision = Revision.objects.select_related("page__space", "page__current").filter(pk=pk).first()
    if revision is None or not moderation_access.can_see_page(viewer, revision.page):
        raise Http404("No such revision.")
    require_redactor(viewer)
    return revision


def get_comment_for_redactor(viewer: Viewer, pk: int) -> Comment:
    """Comment `pk`: 404 if the viewer cannot read its space, 403 if they cannot redact."""
    comment = moderation_access.get_comment_for_moderator(viewer, pk)  # 404, or 403 for non-moderators
    require_redactor(viewer)
    return comment


# --- what there is to redact ----------------------------------------------------------------


def revision_findings(revision: Revision) -> list[Redactable]:
    """The guard's findings in the revision's title, edit summary and body."""
    return [found for field in REVISION_FIELDS for found in _findings(field, getattr(revision, field))]


def comment_findings(comment: Comment) -> list[Redactable]:
    return _findings("body", comment.body)


def _findings(field: str, text: str) -> list[Redactable]:
    return [
        Redactable(
            field=field,
            kind=f.kind,
            start=f.start,
            end=f.end,
            before=text[max(0, f.start - CONTEXT_CHARS) : f.start],
            found=text[f.start : f.end],
            after=text[f.end : f.end + CONTEXT_CHARS],
        )
        for f in scan(text)
    ]


def _finding_at(text: str, start: int, end: int) -> Finding:
    """The guard's finding at exactly start..end of `text` now; ValidationError if there is none."""
    for finding in scan(text):
        if (finding.start, finding.end) == (start, end):
            return finding
    raise ValidationError({"finding": [STALE]})


# --- the services ----------------------------------------------------------------------------


def revision_redact(
    *, revision: Revision, actor: User, field: str, start: int, end: int, every_revision: bool = False
) -> Revision:
    """Replace the finding at start..end of the revision's `field` with "[redacted]" everywhere it is kept.

    With `every_revision`, the same text is also redacted wherever the guard finds it, as the same
    kind, in any field of the page's other revisions (an edit usually carries it forward).
    """
    require_redactor(actor)
    if field not in REVISION_FIELDS:
        raise ValidationError({"field": ["Choose the title, the edit summary or the body."]})
    with transaction.atomic():
        page = Page.objects.select_for_update().select_related("space").get(pk=revision.page_id)
        locked = Revision.objects.select_for_update().get(pk=revision.pk)
        text: str = getattr(locked, field)
        finding = _finding_at(text, start, end)
        removed = text[start:end]
        redacted = {locked.number: _redact_spans(page, locked, {field: [(start, end)]})}
        if every_revision:
            others = Revision.objects.select_for_update().filter(page=page).exclude(pk=locked.pk)
            for other in others.order_by("number"):
                spans: dict[str, list[tuple[int, int]]] = {
                    name: [(f.start, f.end) for f in _same(getattr(other, name), removed, finding.kind)]
                    for name in REVISION_FIELDS
                }
                if any(spans.values()):
                    redacted[other.number] = _redact_spans(page, other, spans)
        _scrub_links(page, removed)
        _scrub_slugs(page, removed)
        _scrub_audit_and_notifications("wiki.page", page.pk, removed, page=page)
        papers_redact(space=page.space, removed=removed, replacement=REDACTED)
        audit.record(
            actor=actor,
            action="revision.redact",
            target=page,
            space=page.space,
            after={
                "revision": locked.number,
                "field": field,
                "kinds": [finding.kind],
                "revisions": sorted(redacted),
            },
        )
        index.index_page(page.pk)
    _copy(locked, revision, redacted[locked.number])
    return revision


def _same(text: str, removed: str, kind: str) -> list[Finding]:
    return [f for f in scan(text) if f.kind == kind and text[f.start : f.end] == removed]


def _redact_spans(page: Page, revision: Revision, spans: dict[str, list[tuple[int, int]]]) -> list[str]:
    """Redact the spans of each field of the (locked) revision; the page follows if it is current."""
    updated: list[str] = []
    for name, found in spans.items():
        if not found:
            continue
        text: str = getattr(revision, name)
        for start, end in sorted(found, reverse=True):  # from the end, so offsets stay right
            text = _redacted(text, start, end)
        limit = {"title": 200, "summary": 300}.get(name)
        if limit is not None and len(text) > limit:  # a short finding in a full-length title
            text = text[: limit - 1] + "\u2026"
        setattr(revision, name, text)
        updated.append(name)
    if "body" in updated:
        revision.html = render(revision.body, space_slug=page.space.slug).html
        updated.append("html")
    revision.save(update_fields=updated)
    if "title" in updated and page.current_id == revision.pk:
        page.title = revision.title
        page.save(update_fields=["title"])
    return updated


def comment_redact(*, comment: Comment, actor: User, start: int, end: int) -> Comment:
    """Replace the finding at start..end of the comment's body with "[redacted]" everywhere it is kept."""
    require_redactor(actor)
    with transaction.atomic():
        locked = Comment.objects.select_for_update().select_related("thread__space").get(pk=comment.pk)
        space = locked.thread.space
        finding = _finding_at(locked.body, start, end)
        removed = locked.body[start:end]
        locked.body = _redacted(locked.body, start, end)
        mentioned = mentioned_users(locked.body, space=space, author=locked.author)
        locked.html = render_comment(locked.body, mentions={user.username for user in mentioned})
        locked.save(update_fields=["body", "html"])
        _scrub_audit_and_notifications("discussions.comment", locked.pk, removed)
        papers_redact(space=space, removed=removed, replacement=REDACTED)
        audit.record(
            actor=actor,
            action="comment.redact",
            target=locked,
            space=space,
            after={"comment": locked.pk, "field": "body", "kinds": [finding.kind]},
        )
    comment.body, comment.html = locked.body, locked.html
    return comment


# --- helpers ---------------------------------------------------------------------------------


def _redacted(text: str, start: int, end: int) -> str:
    return text[:start] + REDACTED + text[end:]


def _copy(source: Any, target: Any, fields: list[str]) -> None:
    for name in fields:
        setattr(target, name, getattr(source, name))


def _scrub_links(page: Page, removed: str) -> None:
    """Link titles kept for the page's links, out and in ("[[John Smith]]"), lose the text too."""
    links = PageLink.objects.filter(Q(source=page) | Q(target=page), target_title__contains=removed)
    for link in links:
        link.target_title = link.target_title.replace(removed, REDACTED)[:200]
        link.save(update_fields=["target_title"])


def _scrub_slugs(page: Page, removed: str) -> None:
    """The page's address and old addresses lose the text too ("john-smith-admitted").

    If the page's slug holds it, the page gets the slug of its (redacted) title, and no alias is
    kept for the old one; aliases holding it are deleted. Links to those addresses stop working,
    which is the point. Notifications' links follow the new slug.
    """
    piece = slugify(removed, allow_unicode=True)
    if not piece:
        return
    PageAlias.objects.filter(page=page, slug__contains=piece).delete()
    if piece not in page.slug:
        return
    old_slug = page.slug
    taken = set(Page.objects.filter(space=page.space).exclude(pk=page.pk).values_list("slug", flat=True))
    taken |= set(PageAlias.objects.filter(space=page.space).values_list("slug", flat=True))
    page.slug = free_slug(slug_base(page.title.replace(removed, REDACTED)), taken)
    page.save(update_fields=["slug"])
    for notification in Notification.objects.filter(page=page, url__contains=f"/{old_slug}/"):
        notification.url = notification.url.replace(f"/{old_slug}/", f"/{page.slug}/")
        notification.save(update_fields=["url"])
    _scrub_audit_and_notifications("wiki.page", page.pk, old_slug, page=page, replacement=page.slug)


def _scrub_audit_and_notifications(
    target_type: str, target_id: int, removed: str, *, page: Page | None = None, replacement: str = REDACTED
) -> None:
    """Audit entries keep titles (labels, before/after); notifications are written from them.

    For a page, every entry of its space is looked at, not only the page's own: its discussion's
    entries are labelled "Discussion of <title>", its comments' and papers' may quote it."""
    entries = AuditEntry.objects.filter(target_type=target_type, target_id=str(target_id))
    if page is not None:
        entries = entries | AuditEntry.objects.filter(space=page.space)
    for entry in entries.iterator():
        label = entry.target_label.replace(removed, replacement)[:300]
        before, after = (
            _scrubbed(entry.before, removed, replacement),
            _scrubbed(entry.after, removed, replacement),
        )
        if (label, before, after) != (entry.target_label, entry.before, entry.after):
            AuditEntry.objects.filter(pk=entry.pk).update(target_label=label, before=before, after=after)
    notifications = Notification.objects.filter(entry__in=entries)
    if page is not None:
        notifications = notifications | Notification.objects.filter(page=page)
    for notification in notifications.filter(text__contains=removed).distinct():
        notification.text = notification.text.replace(removed, replacement)[:300]
        notification.save(update_fields=["text"])


def _scrubbed(value: Any, removed: str, replacement: str = REDACTED) -> Any:
    if isinstance(value, str):
        return value.replace(removed, replacement)
    if isinstance(value, list):
        return [_scrubbed(item, removed, replacement) for item in value]
    if isinstance(value, dict):
        return {key: _scrubbed(item, removed, replacement) for key, item in value.items()}
    return value
