"""Every change to a discussion: one keyword-only function per change.

Each function checks permission, validates, passes what a person typed through the
patient-data guard and the watched words, writes ONE audit entry inside its transaction.
Notifications follow from those audit entries (coproduce.notifications reads them); nothing
here sends anything itself. The HTML views, the JSON API and the worker call these functions.

A page's thread is created the first time it is used (`thread_for_page`).

Errors raised, for callers to map:
- `ValidationError` with a dict of field -> messages: bad input (HTTP 400 / form errors);
- `DiscussionClosed` (a `Conflict`): the discussion is closed (409 `discussion_closed`);
- `Conflict`: the comment or thread is no longer in a state that allows it (409);
- `PermissionDenied`: the actor may not do this (403);
- `UnsafeContent` from `check_submission`: patient-identifiable data (422 / form error).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.communities.access import can_close_discussion, can_moderate_space
from coproduce.communities.models import Space
from coproduce.discussions.mentions import mentioned_users
from coproduce.discussions.models import Comment, Thread
from coproduce.governance import audit, moderation
from coproduce.governance.safety import check_submission
from coproduce.lib.errors import Conflict
from coproduce.lib.markdown import render_comment
from coproduce.wiki.access import can_edit_space
from coproduce.wiki.models import Page

type Errors = dict[str, list[str]]

OUTCOME_MAX_CHARS = 2000
CANNOT_COMMENT = "Only community members who belong to this space can comment on its pages."
CANNOT_CLOSE = "Only the space's facilitators and moderators can close or reopen discussions."
ONLY_AUTHOR = "Only the person who wrote a comment can change or delete it."
# Control characters other than tab and newline never belong in a comment (as in wiki bodies).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class DiscussionClosed(Conflict):
    """The discussion is closed: no new comments, no edits (API: 409 `discussion_closed`)."""

    def __init__(self, thread: Thread) -> None:
        super().__init__(closed_message(thread))
        self.thread = thread


def closed_message(thread: Thread) -> str:
    outcome = " ".join(thread.outcome.split())
    return f"Comments are closed: {outcome}" if outcome else "Comments are closed."


def comment_audit_payload(comment: Comment, *, mentioned: list[User] | None = None) -> dict[str, Any]:
    """What `comment.create` and `comment.publish` record: the notification fan-out reads it.

    `mentions` holds only the people named with @username who can read the space now (never
    the author); `parent_author` is whom a reply answers. `mentioned` saves looking them up
    again when the caller just did.
    """
    thread = comment.thread
    parent = comment.parent
    if mentioned is None:
        mentioned = mentioned_users(comment.body, space=thread.space, author=comment.author)
    return {
        "thread": thread.pk,
        "page": thread.page_id,
        "parent": parent.pk if parent is not None else None,
        "parent_author": parent.author_id if parent is not None else None,
        "mentions": [user.pk for user in mentioned],
        "state": comment.state,
    }


def thread_for_page(page: Page, *, lock: bool = False) -> Thread:
    """The page's thread, created on first use (in the page's space)."""
    thread, _ = Thread.objects.get_or_create(page=page, defaults={"space_id": page.space_id})
    if lock:
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
    thread.page = page
    return thread


# --- comments ------------------------------------------------------------------------------


def comment_create(*, page: Page, actor: User, body: str, parent: Comment | None = None) -> Comment:
    """A new comment on the page's discussion, or a reply to `parent`.

    Watched words may hold it for review (only its author and moderators see it until a
    moderator publishes it) or save it and raise an automatic flag.
    """
    space = page.space
    _require_commenter(actor, space, page)
    errors: Errors = {}
    body = _body(errors, body)
    _raise(errors)
    check_submission({"body": body})
    screening = moderation.screen({"body": body})
    with transaction.atomic():
        thread = thread_for_page(page, lock=True)
        if thread.is_closed:
            raise DiscussionClosed(thread)
        if parent is not None:
            _check_parent(parent, thread=thread, actor=actor)
        mentioned = mentioned_users(body, space=space, author=actor)
        comment = Comment(
            thread=thread,
            parent=parent,
            author=actor,
            body=body,
            html=_html(body, mentioned),
            state=Comment.State.HELD if screening.hold else Comment.State.VISIBLE,
            created_at=timezone.now(),
        )
        comment.save()
        audit.record(
            actor=actor,
            action="comment.create",
            target=comment,
            space=space,
            after=comment_audit_payload(comment, mentioned=mentioned),
        )
        if screening.flag:
            moderation.flag_raise_automatic(comment=comment, phrases=screening.phrases)
    return comment


def comment_edit(*, comment: Comment, actor: User, body: str) -> Comment:
    """The author rewrites their comment within COMMENT_EDIT_MINUTES of posting it."""
    thread = comment.thread
    space = thread.space
    _require_author(comment, actor)
    moderation.refuse_if_suspended(actor)
    if not can_edit_space(actor, space):
        raise PermissionDenied(CANNOT_COMMENT)
    if thread.is_closed:
        raise DiscussionClosed(thread)
    if comment.state not in (Comment.State.VISIBLE, Comment.State.HELD):
        raise Conflict("This comment can no longer be changed.")
    if not edit_window_open(comment):
        minutes = settings.COMMENT_EDIT_MINUTES
        raise Conflict(f"A comment can only be changed in the {minutes} minutes after it was posted.")
    errors: Errors = {}
    body = _body(errors, body)
    _raise(errors)
    check_submission({"body": body})
    screening = moderation.screen({"body": body})
    if body == comment.body:
        return comment
    before = {"body": comment.body}
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if Thread.objects.filter(pk=thread.pk, closed_at__isnull=False).exists():
            raise DiscussionClosed(Thread.objects.get(pk=thread.pk))
        locked.body = body
        locked.html = _html(body, mentioned_users(body, space=space, author=actor))
        locked.edited_at = timezone.now()
        if screening.hold:
            locked.state = Comment.State.HELD
        locked.save(update_fields=["body", "html", "edited_at", "state"])
        audit.record(
            actor=actor,
            action="comment.edit",
            target=locked,
            space=space,
            before=before,
            after={"body": body, "state": locked.state},
        )
        if screening.flag:
            moderation.flag_raise_automatic(comment=locked, phrases=screening.phrases)
    _copy(locked, comment, "body", "html", "edited_at", "state")
    return comment


def comment_delete(*, comment: Comment, actor: User) -> Comment:
    """The author deletes their comment: its text goes, a placeholder and its replies stay."""
    _require_author(comment, actor)
    if comment.state == Comment.State.DELETED:
        raise Conflict("This comment has already been deleted.")
    if comment.state == Comment.State.HIDDEN:
        raise Conflict("A moderator hid this comment; it can no longer be changed.")
    before = {"state": comment.state}
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        locked.body, locked.html, locked.state = "", "", Comment.State.DELETED
        locked.save(update_fields=["body", "html", "state"])
        audit.record(
            actor=actor,
            action="comment.delete",
            target=locked,
            space=comment.thread.space,
            before=before,
            after={"state": Comment.State.DELETED},
        )
    _copy(locked, comment, "body", "html", "state")
    return comment


def edit_window_open(comment: Comment, *, now: datetime | None = None) -> bool:
    """Whether the comment is still young enough for its author to change it."""
    limit = timedelta(minutes=settings.COMMENT_EDIT_MINUTES)
    return (now or timezone.now()) - comment.created_at < limit


# --- closing -------------------------------------------------------------------------------


def discussion_close(*, page: Page, actor: User, outcome: str) -> Thread:
    """Close the page's discussion with what was concluded; it stays readable."""
    space = page.space
    _require_closer(actor, space)
    errors: Errors = {}
    outcome = _outcome(errors, outcome, required=True)
    _raise(errors)
    check_submission({"outcome": outcome})
    with transaction.atomic():
        thread = thread_for_page(page, lock=True)
        if thread.is_closed:
            raise Conflict("This discussion is already closed.")
        thread.closed_at, thread.closed_by, thread.outcome, thread.close_at = (
            timezone.now(),
            actor,
            outcome,
            None,
        )
        thread.save(update_fields=["closed_at", "closed_by", "outcome", "close_at"])
        audit.record(
            actor=actor,
            action="discussion.close",
            target=thread,
            space=space,
            after={"outcome": outcome, "page": page.pk, "automatic": False},
        )
    return thread


def discussion_reopen(*, page: Page, actor: User) -> Thread:
    """Open a closed discussion again; the outcome stays on record (and in the audit log)."""
    space = page.space
    _require_closer(actor, space)
    with transaction.atomic():
        thread = thread_for_page(page, lock=True)
        if not thread.is_closed:
            raise Conflict("This discussion is open already.")
        assert thread.closed_at is not None
        before = {
            "outcome": thread.outcome,
            "closed_at": thread.closed_at.isoformat(),
            "closed_by": thread.closed_by_id,
        }
        thread.closed_at, thread.closed_by = None, None
        thread.save(update_fields=["closed_at", "closed_by"])
        audit.record(
            actor=actor, action="discussion.reopen", target=thread, space=space, before=before, after={}
        )
    return thread


def discussion_schedule_close(
    *, page: Page, actor: User, close_at: datetime | None, outcome: str = ""
) -> Thread:
    """Close the discussion by itself at `close_at` (None: not by itself any more).

    `outcome`, if given, is what the discussion will close with; `threads_close_due` uses a
    plain sentence when there is none.
    """
    space = page.space
    _require_closer(actor, space)
    errors: Errors = {}
    outcome = _outcome(errors, outcome, required=False)
    if close_at is not None and close_at <= timezone.now():
        errors["close_at"] = ["Choose a time in the future."]
    _raise(errors)
    check_submission({"outcome": outcome})
    with transaction.atomic():
        thread = thread_for_page(page, lock=True)
        if thread.is_closed:
            raise Conflict("This discussion is already closed.")
        before = {"close_at": thread.close_at.isoformat() if thread.close_at else None}
        thread.close_at = close_at
        fields = ["close_at"]
        if outcome:
            thread.outcome = outcome
            fields.append("outcome")
        thread.save(update_fields=fields)
        audit.record(
            actor=actor,
            action="discussion.schedule_close",
            target=thread,
            space=space,
            before=before,
            after={"close_at": close_at.isoformat() if close_at else None, "page": page.pk},
        )
    return thread


def threads_close_due(*, now: datetime) -> int:
    """Close every open thread whose `close_at` has come; returns how many were closed."""
    closed = 0
    due = Thread.objects.filter(close_at__lte=now, closed_at__isnull=True).order_by("close_at", "pk")
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            thread = Thread.objects.select_for_update().filter(pk=pk).first()
            if thread is None or thread.is_closed or thread.close_at is None or thread.close_at > now:
                continue
            when = timezone.localtime(thread.close_at)
            outcome = thread.outcome or f"This discussion closed automatically on {when:%-d %B %Y}."
            thread.closed_at, thread.closed_by, thread.outcome, thread.close_at = now, None, outcome, None
            thread.save(update_fields=["closed_at", "closed_by", "outcome", "close_at"])
            audit.record(
                actor=None,
                action="discussion.close",
                target=thread,
                space=thread.space,
                after={"outcome": outcome, "page": thread.page_id, "automatic": True},
            )
            closed += 1
    return closed


# --- helpers -------------------------------------------------------------------------------


def _require_commenter(actor: User, space: Space, page: Page) -> None:
    moderation.refuse_if_suspended(actor)
    if not can_edit_space(actor, space):
        raise PermissionDenied(CANNOT_COMMENT)
    if page.hidden_at is not None and not can_moderate_space(actor, space):
        raise PermissionDenied("This page has been hidden by a moderator.")


def _require_author(comment: Comment, actor: User) -> None:
    if comment.author_id is None or comment.author_id != actor.pk:
        raise PermissionDenied(ONLY_AUTHOR)


def _require_closer(actor: User, space: Space) -> None:
    if not can_close_discussion(actor, space):
        raise PermissionDenied(
            "Only the space's facilitators and moderators can close or reopen discussions."
        )


def _check_parent(parent: Comment, *, thread: Thread, actor: User) -> None:
    visible = parent.state == Comment.State.VISIBLE
    own_held = parent.state == Comment.State.HELD and (
        parent.author_id == actor.pk or can_moderate_space(actor, thread.space)
    )
    if parent.thread_id != thread.pk or not (visible or own_held):
        raise ValidationError({"parent": ["You can only reply to a comment shown in this discussion."]})


def _body(errors: Errors, body: str) -> str:
    body = _CONTROLS.sub("", body.replace("\r\n", "\n").replace("\r", "\n"))
    limit = settings.COMMENT_MAX_CHARS
    if not body.strip():
        errors["body"] = ["Enter your comment."]
    elif len(body) > limit:
        errors["body"] = [f"A comment must be {limit:,} characters or fewer; yours has {len(body):,}."]
    return body


def _outcome(errors: Errors, outcome: str, *, required: bool) -> str:
    outcome = _CONTROLS.sub("", outcome.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if required and not outcome:
        errors["outcome"] = ["Write what the discussion concluded."]
    elif len(outcome) > OUTCOME_MAX_CHARS:
        errors["outcome"] = [f"The outcome must be {OUTCOME_MAX_CHARS:,} characters or fewer."]
    return outcome


def _html(body: str, mentioned: list[User]) -> str:
    return render_comment(body, mentions={user.username for user in mentioned})


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _copy(source: Comment, target: Comment, *fields: str) -> None:
    if source is not target:
        for name in fields:
            setattr(target, name, getattr(source, name))
