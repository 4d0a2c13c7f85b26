"""Data rights: a member's export of what they contributed, erasure by an admin, and retention.

- `member_export` builds a zip (contributions.json, Markdown copies, attachments they uploaded).
- `member_erase` pseudonymises an account in one transaction: personal fields, addresses,
  tokens, sessions, second factors, notifications and the personal data copied into the audit
  log go; revisions, comments and flags stay and show "Former member"; after commit, published
  editions name them "a contributor" (`reports.services.editions_forget_person`).
- `space_retention_set` and `retention_apply`: per-space days after which closed discussions and
  never-published paper drafts are deleted (the audit log records counts only).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import import_module
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from coproduce.accounts.models import ApiToken, CreditChoice, Role, User
from coproduce.communities.access import can_manage_space
from coproduce.communities.models import Application, Invitation, Space, SpaceMembership
from coproduce.discussions.models import Comment, Thread
from coproduce.governance import audit
from coproduce.governance import rights_selectors as selectors
from coproduce.governance.models import AuditEntry, Sanction
from coproduce.lib.ratelimit import hit
from coproduce.notifications.models import Notification, Preference
from coproduce.reports.models import Paper, PaperCredit
from coproduce.wiki.models import Watch

ERASED = "[erased]"
FORMER_MEMBER = "Former member"
MAX_RETENTION_DAYS = 36_500  # a hundred years; more is a typing mistake
EXPORTS_PER_HOUR = 10  # building a zip reads everything someone wrote: not for a loop

# --- export ------------------------------------------------------------------------------------

README = """\
Everything you contributed to {site}, exported on {when}.

contributions.json   all of it, as data: your profile, page revisions, comments, discussions you
                     closed, flags you raised, applications, paper credit choices, attachments,
                     notification preferences, what you watch, warnings, API tokens (names only)
pages/               one Markdown file per page you edited, with each of your revisions
comments.md          your comments, by page
outcomes.md          the outcomes you wrote when closing discussions
attachments/         the files you uploaded
"""


def _stamp(value: str | None) -> str:
    return value.replace("T", " ")[:16] if value else ""


def _pages_markdown(revisions: list[dict[str, Any]]) -> dict[str, str]:
    by_page: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for revision in revisions:
        by_page[f"pages/{revision['space']['slug']}/{revision['page']['slug']}.md"].append(revision)
    files: dict[str, str] = {}
    for path, items in by_page.items():
        first = items[0]
        parts = [f"# {first['page']['title']}\n\nIn {first['space']['name']}: your revisions of this page.\n"]
        for r in items:
            summary = f"\n_Summary: {r['summary']}_\n" if r["summary"] else ""
            parts.append(
                f"\n---\n\n## Revision {r['number']}, {_stamp(r['created_at'])}: {r['title']}\n"
                f"{summary}\n{r['body']}\n"
            )
        files[path] = "".join(parts)
    return files


def _comments_markdown(comments: list[dict[str, Any]]) -> str:
    parts = ["# Your comments\n"]
    for c in comments:
        where = f"“{c['page']['title']}” in {c['space']['name']}" if c["page"] else c["space"]["name"]
        state = "" if c["state"] == Comment.State.VISIBLE else f" ({c['state']})"
        parts.append(f"\n## On {where}, {_stamp(c['created_at'])}{state}\n\n{c['body']}\n")
    return "".join(parts)


def _outcomes_markdown(closings: list[dict[str, Any]]) -> str:
    parts = ["# Discussions you closed\n"]
    for t in closings:
        where = f"“{t['page']['title']}”" if t["page"] else "a discussion"
        parts.append(f"\n## {where} in {t['space']['name']}, {_stamp(t['closed_at'])}\n\n{t['outcome']}\n")
    return "".join(parts)


def _safe_name(name: str) -> str:
    return re.sub(r"[\\/\x00-\x1f]", "_", name).lstrip(".") or "file"


def _write_attachments(archive: zipfile.ZipFile, member: User) -> int:
    written = 0
    for attachment in selectors.attachments_of(member):
        try:
            with attachment.file.open("rb") as stored:
                archive.writestr(f"attachments/{attachment.pk}-{_safe_name(attachment.name)}", stored.read())
        except OSError:
            continue  # the stored file is gone; contributions.json still lists it
        written += 1
    return written


def export_filename(member: User) -> str:
    return f"coproduce-export-{member.username}-{timezone.localdate():%Y-%m-%d}.zip"


def member_export(*, member: User, actor: User) -> bytes:
    """The member's own contributions as a zip. Only the member may export their data, and at
    most EXPORTS_PER_HOUR times an hour (`RateLimited` past that)."""
    if actor.pk != member.pk or member.erased_at is not None:
        raise PermissionDenied("You can export only your own contributions.")
    hit(scope="member-export", key=str(member.pk), limit=EXPORTS_PER_HOUR, window=3600)
    data = selectors.contributions_of(member)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        when = timezone.localtime().strftime("%-d %B %Y at %H:%M")
        archive.writestr("README.txt", README.format(site=settings.SITE_NAME, when=when))
        archive.writestr("contributions.json", json.dumps(data, indent=2, ensure_ascii=False))
        for path, text in _pages_markdown(data["page_revisions"]).items():
            archive.writestr(path, text)
        archive.writestr("comments.md", _comments_markdown(data["comments"]))
        if data["discussions_closed"]:
            archive.writestr("outcomes.md", _outcomes_markdown(data["discussions_closed"]))
        files = _write_attachments(archive, member)
    counts = {
        "revisions": len(data["page_revisions"]),
        "comments": len(data["comments"]),
        "attachments": files,
    }
    with transaction.atomic():
        audit.record(actor=actor, action="member.export", target=member, after=counts)
    return buffer.getvalue()


# --- erasure -----------------------------------------------------------------------------------


@dataclass
class Needles:
    """The strings that identified the person: replaced wherever a copy of them was kept."""

    exact: set[str] = field(default_factory=set)  # replaced only where a value is exactly this
    words: set[str] = field(default_factory=set)  # replaced wherever they occur as whole words

    @property
    def all(self) -> set[str]:
        return self.exact | self.words

    def pattern(self) -> re.Pattern[str] | None:
        if not self.words:
            return None
        alternatives = "|".join(re.escape(w) for w in sorted(self.words, key=len, reverse=True))
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _needles(member: User) -> Needles:
    needles = Needles()
    emails = {member.email, *EmailAddress.objects.filter(user=member).values_list("email", flat=True)}
    for value in emails:
        if value.strip():
            needles.words.add(value.strip())
    # A name is searched for in other people's text only when it is a full name (two words or
    # more): "Mark", "Grace" or "Ward" alone are ordinary words in titles and notes.
    for value in (member.name, member.get_full_name()):
        value = " ".join(value.split())
        if len(value.split()) >= 2:
            needles.words.add(value)
    # A username is often a common word ("mo", "ward"): replaced only where it stands alone.
    needles.exact.add(member.username)
    return needles


def _scrub_text(text: str, needles: Needles, pattern: re.Pattern[str] | None, replacement: str) -> str:
    if text.strip().casefold() in {n.casefold() for n in needles.all}:
        return replacement
    return pattern.sub(replacement, text) if pattern is not None else text


def _scrub_json(value: Any, needles: Needles, pattern: re.Pattern[str] | None) -> Any:
    if isinstance(value, str):
        return _scrub_text(value, needles, pattern, ERASED)
    if isinstance(value, list):
        return [_scrub_json(v, needles, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, needles, pattern) for k, v in value.items()}
    return value


def _json_text_contains(field_name: str, needle: str) -> Q:
    """Rows whose JSON field's text holds the needle, stored as is or \\u-escaped."""
    escaped = json.dumps(needle)[1:-1]
    return Q(**{f"{field_name}_text__icontains": needle}) | Q(**{f"{field_name}_text__icontains": escaped})


def _scrub_audit_log(member: User, needles: Needles, new_username: str) -> int:
    pattern = needles.pattern()
    found = Q(actor=member) | Q(actor_label=member.username)
    for needle in needles.all:
        found |= Q(target_label__icontains=needle)
        found |= _json_text_contains("before", needle) | _json_text_contains("after", needle)
    entries = AuditEntry.objects.annotate(
        before_text=Cast("before", TextField()), after_text=Cast("after", TextField())
    ).filter(found)
    changed = 0
    for entry in list(entries):  # read first: SQLite may not update a table it is iterating
        label = new_username if entry.actor_id == member.pk or entry.actor_label == member.username else None
        new = {
            "actor_label": label if label is not None else entry.actor_label,
            "target_label": _scrub_text(entry.target_label, needles, pattern, ERASED),
            "before": _scrub_json(entry.before, needles, pattern),
            "after": _scrub_json(entry.after, needles, pattern),
        }
        if any(getattr(entry, k) != v for k, v in new.items()):
            AuditEntry.objects.filter(pk=entry.pk).update(**new)
            changed += 1
    return changed


def _scrub_admin_log(member: User, needles: Needles, new_username: str) -> None:
    """Django admin's own history names what it changed: the account, or rows naming the person."""
    pattern = needles.pattern()
    account = Q(content_type=ContentType.objects.get_for_model(User), object_id=str(member.pk))
    found = account
    for needle in needles.all:
        found |= Q(object_repr__icontains=needle) | Q(change_message__icontains=needle)
    entries = LogEntry.objects.filter(found).annotate(is_account=ExpressionWrapper(account, BooleanField()))
    for entry in entries:
        is_account = bool(entry.is_account)
        repr_ = new_username if is_account else _scrub_text(entry.object_repr, needles, pattern, ERASED)
        message = _scrub_text(entry.change_message, needles, pattern, ERASED)
        LogEntry.objects.filter(pk=entry.pk).update(object_repr=repr_[:200], change_message=message)


def _scrub_notifications(member: User, needles: Needles) -> int:
    Notification.objects.filter(recipient=member).delete()
    Preference.objects.filter(user=member).delete()
    pattern = needles.pattern()
    found = Q()
    for needle in needles.all:
        found |= Q(text__icontains=needle)
    changed = 0
    for notification in list(Notification.objects.filter(found).only("pk", "text", "actor_id")):
        text = _scrub_text(notification.text, needles, pattern, FORMER_MEMBER)
        if notification.actor_id == member.pk and member.username:
            text = re.sub(rf"(?<!\w){re.escape(member.username)}(?!\w)", FORMER_MEMBER, text)
        if text != notification.text:
            Notification.objects.filter(pk=notification.pk).update(text=text[:300])
            changed += 1
    return changed


def _end_sessions(member: User) -> int:
    """End every session of the member: allauth's list of them, and any other stored session."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for user_session in UserSession.objects.filter(user=member):
        store().delete(user_session.session_key)
        ended += 1
    UserSession.objects.filter(user=member).delete()
    if "db" in settings.SESSION_ENGINE:
        mine = str(member.pk)
        sessions = Session.objects.filter(expire_date__gt=timezone.now())
        keys = [s.session_key for s in sessions.iterator() if s.get_decoded().get("_auth_user_id") == mine]
        ended += Session.objects.filter(session_key__in=keys).delete()[0]
    return ended


def _forget_applications(member: User, emails: set[str]) -> int:
    query = Q(user=member)
    for email in emails - {""}:
        query |= Q(email__iexact=email)
    now = timezone.now()
    applications = Application.objects.filter(query)
    applications.filter(status=Application.Status.PENDING).update(
        status=Application.Status.REJECTED, decided_at=now
    )
    return applications.update(
        name="",
        email="",
        organisation="",
        job_role="",
        professional_registration="",
        reason="",
        decision_reason="",
    )


def _forget_invitations(emails: set[str]) -> int:
    query = Q(pk__in=[])
    for email in emails - {""}:
        query |= Q(email__iexact=email)
    invitations = Invitation.objects.filter(query)
    invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return invitations.update(email="")


def _pseudonymise(member: User) -> None:
    member.username = f"erased-{member.pk}"
    member.name = member.first_name = member.last_name = member.email = ""
    member.organisation = member.sector = member.job_role = member.professional_registration = ""
    member.role = Role.NONE
    member.credit_as = CreditChoice.ANONYMOUS  # later editions count them among "others"
    member.is_active = member.is_staff = member.is_superuser = False
    member.suspended_until = member.locked_until = member.last_login = None
    member.failed_logins = 0
    member.erased_at = timezone.now()
    member.set_unusable_password()
    member.save()


def _refuse_erasure(member: User, actor: User) -> None:
    if not actor.is_community_admin:
        raise PermissionDenied("Only community admins can erase a member.")
    if member.pk == actor.pk:
        raise PermissionDenied("You cannot erase your own account: ask another admin.")
    if member.is_superuser and not actor.is_superuser:
        raise PermissionDenied("Only a superuser can erase a superuser.")
    if member.erased_at is not None:
        raise ValidationError("This member has already been erased.")


def member_erase(*, member: User, actor: User) -> User:
    """Pseudonymise `member` everywhere; their contributions stay, credited to "Former member".

    Another admin must do it (never the member themself, so an admin is erased by another admin).
    """
    from coproduce.reports.services import editions_forget_person

    _refuse_erasure(member, actor)
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        _refuse_erasure(member, actor)
        needles = _needles(member)
        emails = {e.casefold() for e in needles.all if "@" in e}
        counts = {
            "applications": _forget_applications(member, emails),
            "invitations": _forget_invitations(emails),
            "audit_entries": _scrub_audit_log(member, needles, f"erased-{member.pk}"),
            "notifications_of_others": _scrub_notifications(member, needles),
            "sessions": _end_sessions(member),
        }
        _scrub_admin_log(member, needles, f"erased-{member.pk}")
        EmailAddress.objects.filter(user=member).delete()
        ApiToken.objects.filter(user=member).delete()
        Authenticator.objects.filter(user=member).delete()
        Watch.objects.filter(user=member).delete()
        SpaceMembership.objects.filter(user=member).delete()
        PaperCredit.objects.filter(user=member).delete()
        Sanction.objects.filter(user=member).delete()
        _pseudonymise(member)
        audit.record(actor=actor, action="member.erase", target=member, after=counts)
        user_id = member.pk
        transaction.on_commit(lambda: editions_forget_person(user_id=user_id))
    return member


# --- retention ---------------------------------------------------------------------------------


def _days(errors: dict[str, list[str]], name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if value < 1 or value > MAX_RETENTION_DAYS:
        errors[name] = [
            f"Enter a number of days from 1 to {MAX_RETENTION_DAYS}, or leave it empty to keep them."
        ]
    return value


def space_retention_set(
    *, space: Space, actor: User, keep_closed_discussions_days: int | None, keep_drafts_days: int | None
) -> Space:
    """How long the space keeps closed discussions and unpublished paper drafts (None: for ever)."""
    if not can_manage_space(actor, space) or actor.is_suspended:
        raise PermissionDenied("Only the space's facilitators and community admins can do that.")
    errors: dict[str, list[str]] = {}
    keep_closed = _days(errors, "keep_closed_discussions_days", keep_closed_discussions_days)
    keep_drafts = _days(errors, "keep_drafts_days", keep_drafts_days)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        space = Space.objects.select_for_update().get(pk=space.pk)
        before = {
            "keep_closed_discussions_days": space.keep_closed_discussions_days,
            "keep_drafts_days": space.keep_drafts_days,
        }
        space.keep_closed_discussions_days, space.keep_drafts_days = keep_closed, keep_drafts
        space.save(update_fields=["keep_closed_discussions_days", "keep_drafts_days"])
        after = {"keep_closed_discussions_days": keep_closed, "keep_drafts_days": keep_drafts}
        audit.record(
            actor=actor, action="space.retention", target=space, space=space, before=before, after=after
        )
    return space


@dataclass(frozen=True)
class Applied:
    space: str
    discussions: int
    comments: int
    drafts: int


def _forget_discussion_text(thread_ids: list[int], comment_ids: list[int]) -> None:
    """The audit entries of deleted discussions keep that something happened, not what was said."""
    targets = Q(target_type="discussions.thread", target_id__in=[str(i) for i in thread_ids]) | Q(
        target_type="discussions.comment", target_id__in=[str(i) for i in comment_ids]
    )
    for entry in list(AuditEntry.objects.filter(targets)):
        before = {k: v for k, v in entry.before.items() if k not in {"outcome", "body"}}
        after = {k: v for k, v in entry.after.items() if k not in {"outcome", "body"}}
        if before != entry.before or after != entry.after:
            AuditEntry.objects.filter(pk=entry.pk).update(before=before, after=after)


def _apply_in(space: Space, now: datetime, *, dry_run: bool) -> Applied:
    with transaction.atomic():
        first = selectors.expired_in(space, now)
        # Lock what looked expired, then ask again: a paper published or a discussion reopened
        # between the two reads stays (publishing and reopening lock the same rows).
        list(Thread.objects.select_for_update().filter(pk__in=first.threads).values_list("pk", flat=True))
        list(Paper.objects.select_for_update().filter(pk__in=first.papers).values_list("pk", flat=True))
        again = selectors.expired_in(space, now)
        expired = replace(
            again,
            threads=[pk for pk in again.threads if pk in set(first.threads)],
            papers=[pk for pk in again.papers if pk in set(first.papers)],
        )
        comment_ids = list(Comment.objects.filter(thread_id__in=expired.threads).values_list("pk", flat=True))
        result = Applied(
            space=space.slug,
            discussions=len(expired.threads),
            comments=len(comment_ids),
            drafts=len(expired.papers),
        )
        if dry_run or not (expired.threads or expired.papers):
            return result
        _forget_discussion_text(expired.threads, comment_ids)
        Thread.objects.filter(pk__in=expired.threads).delete()
        Paper.objects.filter(pk__in=expired.papers).delete()
        after = {"discussions": result.discussions, "comments": result.comments, "drafts": result.drafts}
        audit.record(actor=None, action="space.retention_apply", target=space, space=space, after=after)
    return result


def retention_apply(*, now: datetime, dry_run: bool = False) -> list[Applied]:
    """Delete, in every space with a retention setting, what is older than it allows.

    Idempotent: a second run finds nothing more. With `dry_run`, counts without deleting.
    """
    return [_apply_in(space, now, dry_run=dry_run) for space in selectors.spaces_with_retention()]
