"""Reads for data rights: everything one member contributed, and what retention would delete.

`contributions_of` gathers only the member's own rows and text. Other people's words never
appear: a page or paper is named by its title (context), a comment they replied to by its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, Q, QuerySet

from coproduce.accounts.models import ApiToken, User
from coproduce.communities.models import Application, Space, SpaceMembership
from coproduce.discussions.models import Comment, Thread
from coproduce.governance.models import Flag, Sanction
from coproduce.notifications.selectors import preferences_of
from coproduce.reports.models import Edition, Paper, PaperCredit, PaperRevision
from coproduce.wiki.models import Attachment, Revision, Watch

type Row = dict[str, Any]


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _space(space: Space | None) -> Row | None:
    return {"slug": space.slug, "name": space.name} if space is not None else None


def applications_of(member: User) -> QuerySet[Application]:
    """Their applications: linked to the account, or sent from one of its addresses."""
    emails = {member.email.casefold(), *(e.casefold() for e in _addresses(member))} - {""}
    query = Q(user=member)
    for email in emails:
        query |= Q(email__iexact=email)
    return Application.objects.filter(query).order_by("created_at", "id")


def _addresses(member: User) -> list[str]:
    return list(EmailAddress.objects.filter(user=member).values_list("email", flat=True))


def profile_of(member: User) -> Row:
    return {
        "username": member.username,
        "name": member.name,
        "email": member.email,
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=member).order_by("email")
        ],
        "role": member.role,
        "organisation": member.organisation,
        "sector": member.sector,
        "job_role": member.job_role,
        "professional_registration": member.professional_registration,
        "credit_as": member.credit_as,
        "conduct_version_accepted": member.conduct_version,
        "joined_at": _when(member.date_joined),
        "last_login_at": _when(member.last_login),
    }


def revisions_of(member: User) -> list[Row]:
    revisions = (
        Revision.objects.filter(author=member)
        .select_related("page__space")
        .order_by("page__space__slug", "page__slug", "number")
    )
    return [
        {
            "space": _space(r.page.space),
            "page": {"slug": r.page.slug, "title": r.page.title},
            "number": r.number,
            "created_at": _when(r.created_at),
            "title": r.title,
            "summary": r.summary,
            "body": r.body,
        }
        for r in revisions
    ]


def comments_of(member: User) -> list[Row]:
    comments = (
        Comment.objects.filter(author=member)
        .select_related("thread__space", "thread__page")
        .order_by("created_at", "id")
    )
    return [
        {
            "id": c.pk,
            "space": _space(c.thread.space),
            "page": {"slug": c.thread.page.slug, "title": c.thread.page.title} if c.thread.page else None,
            "in_reply_to": c.parent_id,
            "state": c.state,
            "created_at": _when(c.created_at),
            "edited_at": _when(c.edited_at),
            "body": c.body,
        }
        for c in comments
    ]


def closings_of(member: User) -> list[Row]:
    threads = Thread.objects.filter(closed_by=member).select_related("space", "page").order_by("closed_at")
    return [
        {
            "space": _space(t.space),
            "page": {"slug": t.page.slug, "title": t.page.title} if t.page else None,
            "closed_at": _when(t.closed_at),
            "outcome": t.outcome,
        }
        for t in threads
    ]


def flags_of(member: User) -> list[Row]:
    flags = Flag.objects.filter(reporter=member).select_related("space", "page").order_by("created_at")
    return [
        {
            "space": _space(f.space),
            "about": {"comment": f.comment_id}
            if f.comment_id
            else {"page": f.page.title if f.page else None},
            "reason": f.reason,
            "note": f.note,
            "status": f.status,
            "created_at": _when(f.created_at),
        }
        for f in flags
    ]


def applications_rows(member: User) -> list[Row]:
    return [
        {
            "name": a.name,
            "email": a.email,
            "organisation": a.organisation,
            "sector": a.sector,
            "job_role": a.job_role,
            "professional_registration": a.professional_registration,
            "reason": a.reason,
            "status": a.status,
            "created_at": _when(a.created_at),
            "decided_at": _when(a.decided_at),
            "decision_reason": a.decision_reason,
        }
        for a in applications_of(member)
    ]


def papers_of(member: User) -> Row:
    credits = PaperCredit.objects.filter(user=member).select_related("paper").order_by("paper__title")
    drafts = (
        PaperRevision.objects.filter(author=member)
        .select_related("paper__space")
        .order_by("paper_id", "number")
    )
    return {
        "credit_choices": [{"paper": c.paper.title, "credit_as": c.credit_as} for c in credits],
        "draft_saves": [
            {
                "space": _space(r.paper.space),
                "paper": r.paper.title,
                "draft": r.number,
                "saved_at": _when(r.created_at),
            }
            for r in drafts
        ],
    }


def attachments_of(member: User) -> list[Attachment]:
    return list(
        Attachment.objects.filter(uploaded_by=member)
        .select_related("page__space")
        .order_by("created_at", "id")
    )


def contributions_of(member: User) -> Row:
    """Everything the member contributed or told us, as JSON-ready data."""
    memberships = SpaceMembership.objects.filter(user=member).select_related("space").order_by("space__slug")
    watches = Watch.objects.filter(user=member).select_related("space", "page").order_by("created_at")
    sanctions = Sanction.objects.filter(user=member).order_by("created_at")
    tokens = ApiToken.objects.filter(user=member).order_by("created_at")
    return {
        "profile": profile_of(member),
        "spaces": [
            {"space": _space(m.space), "role": m.role, "since": _when(m.created_at)} for m in memberships
        ],
        "page_revisions": revisions_of(member),
        "comments": comments_of(member),
        "discussions_closed": closings_of(member),
        "flags_raised": flags_of(member),
        "applications": applications_rows(member),
        "papers": papers_of(member),
        "attachments": [
            {
                "space": _space(a.page.space),
                "page": a.page.title,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "uploaded_at": _when(a.created_at),
                "file": f"attachments/{a.pk}-{a.name}",
            }
            for a in attachments_of(member)
        ],
        "notification_preferences": preferences_of(member),
        "watching": [
            {"space": _space(w.space)} if w.space_id else {"page": w.page.title if w.page else None}
            for w in watches
        ],
        "warnings_and_suspensions": [
            {
                "kind": s.kind,
                "reason": s.reason,
                "created_at": _when(s.created_at),
                "ends_at": _when(s.ends_at),
            }
            for s in sanctions
        ],
        "api_tokens": [
            {
                "name": t.name,
                "starts_with": t.hint,
                "created_at": _when(t.created_at),
                "last_used_at": _when(t.last_used_at),
                "revoked_at": _when(t.revoked_at),
            }
            for t in tokens
        ],
    }


# --- retention ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expired:
    """What retention would delete in one space now."""

    space: Space
    threads: list[int]
    papers: list[int]


def spaces_with_retention() -> QuerySet[Space]:
    return Space.objects.filter(
        Q(keep_closed_discussions_days__isnull=False) | Q(keep_drafts_days__isnull=False)
    ).order_by("slug")


def expired_threads(space: Space, now: datetime) -> list[int]:
    """Discussions closed (by someone, or by their close time) more than the space's days ago."""
    if space.keep_closed_discussions_days is None:
        return []
    cutoff = now - timedelta(days=space.keep_closed_discussions_days)
    closed_long_ago = Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True, close_at__lt=cutoff)
    return list(
        Thread.objects.filter(closed_long_ago, space=space).order_by("pk").values_list("pk", flat=True)
    )


def expired_drafts(space: Space, now: datetime) -> list[int]:
    """Briefing papers never published (no edition) and untouched for more than the space's days."""
    if space.keep_drafts_days is None:
        return []
    cutoff = now - timedelta(days=space.keep_drafts_days)
    published = Exists(Edition.objects.filter(paper=OuterRef("pk")))
    papers = Paper.objects.filter(space=space, updated_at__lt=cutoff).exclude(published)
    return list(papers.order_by("pk").values_list("pk", flat=True))


def expired_in(space: Space, now: datetime) -> Expired:
    return Expired(space=space, threads=expired_threads(space, now), papers=expired_drafts(space, now))
