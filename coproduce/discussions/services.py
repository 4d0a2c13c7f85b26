"""Every change to a discussion: one keyword-only function per change.

Each function checks permission, validates, passes what a person typed through the
patient-data guard and the watched words, writes ONE audit entry inside its transaction.
Notifications follow from those audit entries (coproduce.notifications reads them); nothing
here sends anything itself. The HTML views, the JSON API and the worker call these functions.

A page's thread is created the first time it is used (`thread_for_page`).

A discussion whose `close_at` has come is closed (`Thread.is_closed`) even before the worker's
`threads_close_due` records it: comments are refused from that moment.

Errors raised, for callers to map:
- `ValidationError` with a dict of field -> messages: bad input (HTTP 400 / form errors);
- `DiscussionClosed` (a `Conflict`): the discussion is closed (409 `discussion_closed`);
- the other `Conflict`s below, each with its stable `code` (409 with that code): the comment or
  thread is no longer in a state that allows it;
- `PermissionDenied`: the actor may not do this (403);
- `RateLimited`: too many comments in a short time (429);
- `UnsafeContent` from `governance.policy`: patient-identifiable data (422 / form error);
- `NeedsConfirmation` (an `UnsafeContent`): something the space's guard policy warns about,
  not confirmed (422 `confirmation_required` / the form asks to confirm).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.communities.access import can_close_discussion, can_moderate_space
from coproduce.communities.models import Space
from coproduce.discussions.mentions import mentioned_users, usernames
from coproduce.discussions.models import Comment, Thread
from coproduce.governance import audit, moderation, moderation_access, words
from coproduce.governance.policy import check_blocking_for_space, check_for_space
from coproduce.lib.errors import Conflict
from coproduce.lib.markdown import render_comment
from coproduce.lib.ratelimit import hit
from coproduce.wiki.access import can_edit_space
from coproduce.wiki.models import Page

type Errors = dict[str, list[str]]

OUTCOME_MAX_CHARS = 2000
CLOSE_YEARS_AHEAD = 5  # an automatic close is set at most this many years ahead
# How many comments (and replies) one person may post; not settings: the same for every site.
COMMENTS_PER_MINUTE = 10
COMMENTS_PER_HOUR = 100
CANNOT_COMMENT = "Only community members who belong to this space can comment on its pages."
CANNOT_CLOSE = "Only the space's facilitators and moderators can close or reopen discussions."
TOO_FAR_AHEAD = f"Choose a day no more than {CLOSE_YEARS_AHEAD} years from today."
ONLY_AUTHOR = "Only the person who wrote a comment can change or delete it."
# Control characters other than tab and newline never belong in a comment (as in wiki bodies).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Refused(Conflict):
    """A `Conflict` with a stable code (`exc.code`), which the API answers with (409)."""

    default_code = "conflict"

    def __init__(self, message: str) -> None:
        super().__init__(message, code=self.default_code)


class DiscussionClosed(_Refused):
    """The discussion is closed: no new comments, no edits (API: 409 `discussion_closed`)."""

    default_code = "discussion_closed"

    def __init__(self, thread: Thread) -> None:
        super().__init__(closed_message(thread))
        self.thread = thread


class DiscussionAlreadyClosed(_Refused):
    default_code = "discussion_already_closed"


class DiscussionAlreadyOpen(_Refused):
    default_code = "discussion_already_open"


class EditWindowPassed(_Refused):
    default_code = "edit_window_passed"


class CommentDeleted(_Refused):
    default_code = "comment_deleted"


class CommentHidden(_Refused):
    default_code = "comment_hidden"


def closed_message(thread: Thread) -> str:
    """ "Comments are closed: <the outcome, or the day it closed by itself>"."""
    outcome = " ".join(thread.conclusion.split())
    return f"Comments are closed: {outcome}" if outcome else "Comments are closed."


def latest_close_day(today: date) -> date:
    """The last day a discussion can be set to close by itself at the end of: CLOSE_YEARS_AHEAD on."""
    try:
        return today.replace(year=today.year + CLOSE_YEARS_AHEAD)
    except ValueError:  # 29 February, and that year has none
        return today.replace(year=today.year + CLOSE_YEARS_AHEAD, day=28)


def end_of_day(day: date) -> datetime:
    """The end of `day` in the site's time zone: the first moment of the next day."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


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


def comment_create(
    *, page: Page, actor: User, body: str, parent: Comment | None = None, confirmed: bool = False
) -> Comment:
    """A new comment on the page's discussion, or a reply to `parent`.

    Watched words may hold it for review (only its author and moderators see it until a
    moderator publishes it) or save it and raise an automatic flag. One person may post
    COMMENTS_PER_MINUTE a minute and COMMENTS_PER_HOUR an hour (`RateLimited` past that);
    posts refused for what they say (empty, too long, patient data, blocked words) do not count.
    The space's guard policy applies: `NeedsConfirmation` for what it warns about unless
    `confirmed` (then a `guard.confirmed` audit entry).
    """
    space = page.space
    _require_commenter(actor, space, page)
    errors: Errors = {}
    body = _body(errors, body)
    _raise(errors)
    confirmation = check_for_space(space=space, fields={"body": body}, confirmed=confirmed)
    screening = words.screen({"body": body})
    key = str(actor.pk)
    hit(scope="comment", key=key, limit=COMMENTS_PER_MINUTE, window=60)
    hit(scope="comment-hour", key=key, limit=COMMENTS_PER_HOUR, window=3600)
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
        confirmation.record(actor=actor, target=comment, space=space, during="comment.create")
        if screening.flag:
            moderation.flag_raise_automatic(comment=comment, phrases=screening.phrases)
    return comment


def comment_edit(*, comment: Comment, actor: User, body: str, confirmed: bool = False) -> Comment:
    """The author rewrites their comment within COMMENT_EDIT_MINUTES of posting it.

    The `comment.edit` audit entry carries, besides the body, the payload of `comment.create`
    with `mentions` holding only the people the new text names and the old one did not (who
    can read the space, never the author), and `parent_author` None: an edit is no new reply.
    """
    thread = comment.thread
    space = thread.space
    _require_author(comment, actor)
    moderation_access.refuse_if_suspended(actor)
    if not can_edit_space(actor, space):
        raise PermissionDenied(CANNOT_COMMENT)
    if thread.is_closed:
        raise DiscussionClosed(thread)
    _require_live(comment)
    if not edit_window_open(comment):
        minutes = settings.COMMENT_EDIT_MINUTES
        raise EditWindowPassed(f"A comment can only be changed in the {minutes} minutes after it was posted.")
    errors: Errors = {}
    body = _body(errors, body)
    _raise(errors)
    previous = {"body": comment.body}
    confirmation = check_for_space(space=space, fields={"body": body}, confirmed=confirmed, previous=previous)
    screening = words.screen({"body": body})
    if body == comment.body:
        return comment
    before = {"body": comment.body}
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        current = Thread.objects.get(pk=thread.pk)
        if current.is_closed:
            raise DiscussionClosed(current)
        _require_live(locked)
        named_before = {name.casefold() for name in usernames(locked.body)}
        mentioned = mentioned_users(body, space=space, author=actor)
        locked.body = body
        locked.html = _html(body, mentioned)
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
            after={
                "body": body,
                "thread": thread.pk,
                "page": thread.page_id,
                "parent": locked.parent_id,
                "parent_author": None,
                "mentions": [user.pk for user in mentioned if user.username.casefold() not in named_before],
                "state": locked.state,
            },
        )
        confirmation.record(actor=actor, target=locked, space=space, during="comment.edit")
        if screening.flag:
            moderation.flag_raise_automatic(comment=locked, phrases=screening.phrases)
    _copy(locked, comment, "body", "html", "edited_at", "state")
    return comment


def comment_delete(*, comment: Comment, actor: User) -> Comment:
    """The author deletes their comment: its text goes, a placeholder and its replies stay."""
    _require_author(comment, actor)
    _require_live(comment, deleting=True)
    before = {"state": comment.state}
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        _require_live(locked, deleting=True)
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
    _screen_outcome(outcome, space=space)
    with transaction.atomic():
        thread = thread_for_page(page, lock=True)
        if thread.is_closed:
            raise DiscussionAlreadyClosed("This discussion is already closed.")
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
    """Open a closed discussion again. Its outcome is cleared (the audit entry keeps it), so that
    a later automatic close never reuses it; reopening a discussion whose close time has come
    before the worker closed it cancels that automatic close."""
    space = page.space
    _require_closer(actor, space)
    with transaction.atomic():
        thread = thread_for_page(page, lock=True)
        since = thread.closed_since
        if since is None:
            raise DiscussionAlreadyOpen("This discussion is open already.")
        before = {"outcome": thread.outcome, "closed_at": since.isoformat(), "closed_by": thread.closed_by_id}
        thread.closed_at, thread.closed_by, thread.outcome, thread.close_at = None, None, "", None
        thread.save(update_fields=["closed_at", "closed_by", "outcome", "close_at"])
        audit.record(
            actor=actor, action="discussion.reopen", target=thread, space=space, before=before, after={}
        )
    return thread


def discussion_schedule_close(
    *, page: Page, actor: User, close_at: datetime | None, outcome: str = ""
) -> Thread:
    """Close the discussion by itself at `close_at` (None: not by itself any more).

    `outcome` is what the discussion will close with (it replaces any earlier one; none, and
    the automatic close says on which day it closed). `close_at` must be in the future and at
    most CLOSE_YEARS_AHEAD years ahead (the end of `latest_close_day`).
    """
    space = page.space
    _require_closer(actor, space)
    errors: Errors = {}
    outcome = _outcome(errors, outcome, required=False)
    if close_at is not None and close_at <= timezone.now():
        errors["close_at"] = ["Choose a time in the future."]
    elif close_at is not None and close_at > end_of_day(latest_close_day(timezone.localdate())):
        errors["close_at"] = [TOO_FAR_AHEAD]
    _raise(errors)
    _screen_outcome(outcome, space=space)
    if close_at is None:
        outcome = ""  # nothing is scheduled: no outcome waits for it
    with transaction.atomic():
        thread = thread_for_page(page, lock=True)
        if thread.is_closed:
            raise DiscussionAlreadyClosed("This discussion is already closed.")
        before = {"close_at": _iso(thread.close_at), "outcome": thread.outcome}
        thread.close_at, thread.outcome = close_at, outcome
        thread.save(update_fields=["close_at", "outcome"])
        audit.record(
            actor=actor,
            action="discussion.schedule_close",
            target=thread,
            space=space,
            before=before,
            after={"close_at": _iso(close_at), "outcome": outcome, "page": page.pk},
        )
    return thread


def threads_close_due(*, now: datetime) -> int:
    """Record the close of every open thread whose `close_at` has come; returns how many.

    The thread counts as closed from `close_at` on (`Thread.is_closed`), so that is its
    `closed_at`; without a written outcome it closes with `Thread.automatic_outcome`.
    """
    closed = 0
    due = Thread.objects.filter(close_at__lte=now, closed_at__isnull=True).order_by("close_at", "pk")
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            thread = Thread.objects.select_for_update().filter(pk=pk).first()
            if thread is None or thread.closed_at is not None or thread.close_at is None:
                continue
            if thread.close_at > now:
                continue
            outcome = thread.outcome or thread.automatic_outcome
            thread.closed_at, thread.closed_by, thread.outcome, thread.close_at = (
                thread.close_at,
                None,
                outcome,
                None,
            )
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
    moderation_access.refuse_if_suspended(actor)
    if not can_edit_space(actor, space):
        raise PermissionDenied(CANNOT_COMMENT)
    if page.hidden_at is not None and not can_moderate_space(actor, space):
        raise PermissionDenied("This page has been hidden by a moderator.")


def _require_author(comment: Comment, actor: User) -> None:
    if comment.author_id is None or comment.author_id != actor.pk:
        raise PermissionDenied(ONLY_AUTHOR)


def _require_live(comment: Comment, *, deleting: bool = False) -> None:
    """Only a visible or held comment can still be changed or deleted by its author."""
    if comment.state == Comment.State.DELETED:
        if deleting:
            raise CommentDeleted("This comment has already been deleted.")
        raise CommentDeleted("This comment was deleted; it can no longer be changed.")
    if comment.state == Comment.State.HIDDEN:
        raise CommentHidden("A moderator hid this comment; it can no longer be changed.")


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


def _screen_outcome(outcome: str, *, space: Space) -> None:
    """Patient data (what the space's guard policy blocks) and watched words, as for anything typed.

    A blocked word refuses the outcome; so does a word that would hold a comment for review,
    since an outcome cannot wait for a moderator; a word that would only flag a comment passes.
    """
    check_blocking_for_space(space=space, fields={"outcome": outcome})
    screening = words.screen({"outcome": outcome})
    if screening.hold:
        phrases = ", ".join(f"“{phrase}”" for phrase in screening.phrases)
        raise ValidationError(
            {
                "outcome": [
                    f"{phrases} would need a moderator's review in this community, and an outcome "
                    "cannot wait for one. Change the wording and try again."
                ]
            }
        )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _html(body: str, mentioned: list[User]) -> str:
    return render_comment(body, mentions={user.username for user in mentioned})


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _copy(source: Comment, target: Comment, *fields: str) -> None:
    if source is not target:
        for name in fields:
            setattr(target, name, getattr(source, name))
