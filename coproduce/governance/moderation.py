"""Moderation services: flags, hiding and restoring content, warnings, suspensions, watched words.

One function per change, each writing one audit entry: members flag (`flag_create`); services
that save text raise an automatic flag when `coproduce.governance.words.screen` asks for one
(`flag_raise_automatic`); moderators of a space dismiss flags, hide, restore and publish its
content; community moderators and admins warn and suspend members and keep the watched words.

Who may see what is in coproduce.governance.moderation_access; the queue's reads are in
coproduce.governance.moderation_selectors.

Errors raised, for callers to map: `ValidationError` (bad input, or a state that does not allow
the change), `PermissionDenied` (403), `Http404` (the thing is not visible to the actor),
`RateLimited` (too many flags), `UnsafeContent` (patient-identifiable data in a note or reason).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.accounts.services import sessions_end
from coproduce.communities import conduct
from coproduce.communities.access import require_moderator
from coproduce.discussions.models import Comment
from coproduce.governance import audit
from coproduce.governance.models import Flag, Sanction, WatchedWord
from coproduce.governance.moderation_access import (
    can_see_comment,
    can_see_page,
    refuse_if_suspended,
    require_space_moderator,
    space_of,
)
from coproduce.governance.moderation_selectors import open_flag_by
from coproduce.governance.safety import check_submission
from coproduce.governance.words import normalise_phrase
from coproduce.lib.ratelimit import hit
from coproduce.search import index
from coproduce.wiki.models import Page

# --- reading rules -------------------------------------------------------------------------

REASON_MAX_LENGTH = 300
SANCTION_REASON_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 1000
PHRASE_MAX_LENGTH = 100
SUSPENSION_MAX_DAYS = 365
MEMBER_REASONS = [(value, label) for value, label in Flag.Reason.choices if value != Flag.Reason.WATCHED_WORD]


# --- flags ---------------------------------------------------------------------------------


def flag_create(
    *, actor: User, reason: str, note: str = "", comment: Comment | None = None, page: Page | None = None
) -> Flag:
    """A member reports a comment or page to the moderators.

    Flagging the same thing again while the first flag is open creates nothing and returns the
    existing flag (see `open_flag_by`); only new flags count towards settings.FLAGS_PER_HOUR.
    """
    space = space_of(comment=comment, page=page)
    refuse_if_suspended(actor)
    conduct.require_accepted(actor)
    if not actor.is_member:
        raise PermissionDenied("Only community members can flag content.")
    if comment is not None and not can_see_comment(actor, comment):
        raise Http404("No such comment.")
    if page is not None and not can_see_page(actor, page):
        raise Http404("No such page.")
    errors: dict[str, list[str]] = {}
    if reason not in dict(MEMBER_REASONS):
        errors["reason"] = ["Choose why you are flagging this."]
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = [f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer; it has {len(note):,}."]
    if errors:
        raise ValidationError(errors)
    check_submission({"note": note})
    with transaction.atomic():
        existing = open_flag_by(reporter=actor, comment=comment, page=page)
        if existing is not None:
            return existing
        hit(scope="flag", key=str(actor.pk), limit=settings.FLAGS_PER_HOUR, window=3600)
        flag = Flag.objects.create(
            space=space, comment=comment, page=page, reporter=actor, reason=reason, note=note
        )
        audit.record(actor=actor, action="flag.create", target=flag, space=space, after=_flag_payload(flag))
    return flag


def flag_raise_automatic(
    *, phrases: list[str], comment: Comment | None = None, page: Page | None = None
) -> Flag:
    """A flag raised by the watched words (no reporter), for a comment or a page just saved.

    Called by the services that save the text, inside their transaction.
    """
    space = space_of(comment=comment, page=page)
    note = ("Watched words: " + ", ".join(phrases)) if phrases else "Watched words"
    with transaction.atomic():
        flag = Flag.objects.create(
            space=space,
            comment=comment,
            page=page,
            reporter=None,
            reason=Flag.Reason.WATCHED_WORD,
            note=note[:NOTE_MAX_LENGTH],
        )
        audit.record(actor=None, action="flag.create", target=flag, space=space, after=_flag_payload(flag))
    return flag


def flag_dismiss(*, flag: Flag, actor: User) -> list[Flag]:
    """Nothing wrong here: dismiss the flag and every other open flag on the same thing."""
    space = space_of(comment=flag.comment, page=flag.page)
    require_space_moderator(actor, space)
    if flag.status != Flag.Status.OPEN:
        raise ValidationError({"flag": ["A moderator has already dealt with this flag."]})
    with transaction.atomic():
        dismissed = _resolve_flags(Flag.Status.DISMISSED, actor=actor, comment=flag.comment, page=flag.page)
        audit.record(
            actor=actor,
            action="flag.dismiss",
            target=flag,
            space=space,
            before={"status": Flag.Status.OPEN},
            after={"status": Flag.Status.DISMISSED, "flags": [f.pk for f in dismissed]},
        )
    flag.refresh_from_db()
    return dismissed


def _resolve_flags(status: str, *, actor: User, comment: Comment | None, page: Page | None) -> list[Flag]:
    flags = Flag.objects.select_for_update().filter(status=Flag.Status.OPEN)
    flags = flags.filter(comment=comment) if comment is not None else flags.filter(page=page)
    found = list(flags.order_by("pk"))
    if found:
        Flag.objects.filter(pk__in=[f.pk for f in found]).update(
            status=status, resolved_at=timezone.now(), resolved_by=actor
        )
    return found


def _flag_payload(flag: Flag) -> dict[str, Any]:
    return {
        "comment": flag.comment_id,
        "page": flag.page_id,
        "reason": flag.reason,
        "automatic": flag.reporter_id is None,
    }


# --- comments and pages --------------------------------------------------------------------


def comment_hide(*, comment: Comment, actor: User, reason: str) -> Comment:
    """Hide a visible or held comment: others see a placeholder; its open flags are resolved."""
    space = comment.thread.space
    require_space_moderator(actor, space)
    if comment.state not in (Comment.State.VISIBLE, Comment.State.HELD):
        raise ValidationError({"comment": [_cannot("hide", comment)]})
    reason = _reason(reason)
    with transaction.atomic():
        before = comment.state
        _moderate(comment, actor=actor, state=Comment.State.HIDDEN, reason=reason)
        resolved = _resolve_flags(Flag.Status.HIDDEN, actor=actor, comment=comment, page=None)
        audit.record(
            actor=actor,
            action="comment.hide",
            target=comment,
            space=space,
            before={"state": before},
            after={"state": comment.state, "reason": reason, "flags": [f.pk for f in resolved]},
        )
    return comment


def comment_restore(*, comment: Comment, actor: User) -> Comment:
    """Show a hidden comment again (its flags stay as they were resolved)."""
    space = comment.thread.space
    require_space_moderator(actor, space)
    if comment.state != Comment.State.HIDDEN:
        raise ValidationError({"comment": ["Only a hidden comment can be restored."]})
    with transaction.atomic():
        _moderate(comment, actor=actor, state=Comment.State.VISIBLE, reason="")
        audit.record(
            actor=actor,
            action="comment.restore",
            target=comment,
            space=space,
            before={"state": Comment.State.HIDDEN},
            after={"state": comment.state},
        )
    return comment


def comment_publish(*, comment: Comment, actor: User) -> Comment:
    """Release a comment held for review: it becomes visible and notifies as a new comment would."""
    from coproduce.discussions.services import comment_audit_payload  # here: discussions imports us

    space = comment.thread.space
    require_space_moderator(actor, space)
    if comment.state != Comment.State.HELD:
        raise ValidationError({"comment": ["Only a comment held for review can be published."]})
    with transaction.atomic():
        _moderate(comment, actor=actor, state=Comment.State.VISIBLE, reason="")
        audit.record(
            actor=actor,
            action="comment.publish",
            target=comment,
            space=space,
            before={"state": Comment.State.HELD},
            after=comment_audit_payload(comment),
        )
    return comment


def _moderate(comment: Comment, *, actor: User, state: str, reason: str) -> None:
    comment.state, comment.moderated_at, comment.moderated_by = state, timezone.now(), actor
    comment.moderation_reason = reason
    comment.save(update_fields=["state", "moderated_at", "moderated_by", "moderation_reason"])


def _cannot(verb: str, comment: Comment) -> str:
    if comment.state == Comment.State.HIDDEN:
        return "This comment is already hidden."
    return f"You cannot {verb} a comment its author deleted."


def page_hide(*, page: Page, actor: User, reason: str) -> Page:
    """Hide a page: readers see a placeholder, its history is not found, search drops it."""
    space = page.space
    require_space_moderator(actor, space)
    if page.hidden_at is not None:
        raise ValidationError({"page": ["This page is already hidden."]})
    reason = _reason(reason)
    with transaction.atomic():
        page.hidden_at = timezone.now()
        page.save(update_fields=["hidden_at"])
        resolved = _resolve_flags(Flag.Status.HIDDEN, actor=actor, comment=None, page=page)
        audit.record(
            actor=actor,
            action="page.hide",
            target=page,
            space=space,
            after={"hidden": True, "reason": reason, "flags": [f.pk for f in resolved]},
        )
        _reindex_on_commit(page)
    return page


def page_restore(*, page: Page, actor: User) -> Page:
    space = page.space
    require_space_moderator(actor, space)
    if page.hidden_at is None:
        raise ValidationError({"page": ["This page is not hidden."]})
    with transaction.atomic():
        page.hidden_at = None
        page.save(update_fields=["hidden_at"])
        audit.record(
            actor=actor,
            action="page.restore",
            target=page,
            space=space,
            before={"hidden": True},
            after={"hidden": False},
        )
        _reindex_on_commit(page)
    return page


def _reindex_on_commit(page: Page) -> None:
    page_id = page.pk
    transaction.on_commit(lambda: index.index_page(page_id), robust=True)


def _reason(reason: str, *, limit: int = REASON_MAX_LENGTH) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": ["Give a reason: the author and other moderators will see it."]})
    if len(reason) > limit:
        raise ValidationError(
            {"reason": [f"The reason must be {limit:,} characters or fewer; it has {len(reason):,}."]}
        )
    check_submission({"reason": reason})
    return reason


# --- members -------------------------------------------------------------------------------


def member_warn(*, member: User, actor: User, reason: str) -> Sanction:
    _require_sanctioner(actor, member)
    reason = _reason(reason, limit=SANCTION_REASON_MAX_LENGTH)
    with transaction.atomic():
        sanction = Sanction.objects.create(
            user=member, kind=Sanction.Kind.WARNING, reason=reason, created_by=actor
        )
        audit.record(actor=actor, action="member.warn", target=member, after={"reason": reason})
    return sanction


def member_suspend(*, member: User, actor: User, reason: str, days: int) -> Sanction:
    """Stop the member posting (pages, comments, flags) for `days` days; they can still read."""
    _require_sanctioner(actor, member)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= SUSPENSION_MAX_DAYS:
        raise ValidationError({"days": [f"Suspend for between 1 and {SUSPENSION_MAX_DAYS} days."]})
    reason = _reason(reason, limit=SANCTION_REASON_MAX_LENGTH)
    until = timezone.now() + timedelta(days=days)
    with transaction.atomic():
        before = member.suspended_until if member.is_suspended else None
        member.suspended_until = until
        member.save(update_fields=["suspended_until"])
        sanction = Sanction.objects.create(
            user=member, kind=Sanction.Kind.SUSPENSION, reason=reason, created_by=actor, ends_at=until
        )
        audit.record(
            actor=actor,
            action="member.suspend",
            target=member,
            before={"until": before.isoformat() if before else None},
            after={"reason": reason, "until": until.isoformat()},
        )
        # Their open sessions end at once (an editor left open, a token-less API session); they
        # can log in again and read, but not post, until the suspension ends.
        sessions_end(user=member)
    return sanction


def member_unsuspend(*, member: User, actor: User) -> User:
    """End the member's suspension now."""
    _require_sanctioner(actor, member)
    if not member.is_suspended:
        raise ValidationError({"member": [f"{member.display_name} is not suspended."]})
    assert member.suspended_until is not None
    until, now = member.suspended_until, timezone.now()
    with transaction.atomic():
        member.suspended_until = None
        member.save(update_fields=["suspended_until"])
        Sanction.objects.filter(
            user=member, kind=Sanction.Kind.SUSPENSION, lifted_at__isnull=True, ends_at__gt=now
        ).update(lifted_at=now, lifted_by=actor)
        audit.record(
            actor=actor,
            action="member.unsuspend",
            target=member,
            before={"until": until.isoformat()},
            after={"until": None},
        )
    return member


def _require_sanctioner(actor: User, member: User) -> None:
    require_moderator(actor)
    if actor.pk == member.pk:
        raise PermissionDenied("You cannot warn or suspend yourself.")
    if member.is_community_admin and not actor.is_community_admin:
        raise PermissionDenied("Moderators cannot warn or suspend community admins.")


# --- watched words -------------------------------------------------------------------------


def watched_word_add(*, actor: User, phrase: str, action: str) -> WatchedWord:
    require_moderator(actor)
    phrase = normalise_phrase(phrase)
    errors: dict[str, list[str]] = {}
    if not phrase:
        errors["phrase"] = ["Enter a word or phrase to watch for."]
    elif len(phrase) > PHRASE_MAX_LENGTH:
        errors["phrase"] = [
            f"The phrase must be {PHRASE_MAX_LENGTH} characters or fewer; it has {len(phrase)}."
        ]
    elif WatchedWord.objects.filter(phrase=phrase).exists():
        errors["phrase"] = [f"“{phrase}” is already watched. Remove it first to change what it does."]
    if action not in WatchedWord.Action.values:
        errors["action"] = ["Choose what happens to a post that uses it."]
    if errors:
        raise ValidationError(errors)
    check_submission({"phrase": phrase})
    try:
        with transaction.atomic():
            word = WatchedWord.objects.create(phrase=phrase, action=action, created_by=actor)
            audit.record(
                actor=actor,
                action="watched_word.add",
                target=word,
                after={"phrase": phrase, "action": action},
            )
    except IntegrityError:  # someone added the same phrase meanwhile
        raise ValidationError({"phrase": [f"“{phrase}” is already watched."]}) from None
    return word


def watched_word_remove(*, actor: User, word: WatchedWord) -> None:
    require_moderator(actor)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="watched_word.remove",
            target=word,
            before={"phrase": word.phrase, "action": word.action},
        )
        word.delete()
