"""From one audit entry to the notifications it causes (run by the `fan_out` task after commit).

Each route reads the entry (and the rows it names) and says whom to tell what. `fan_out` then
drops the actor, inactive accounts and anyone who cannot read the space now, looks up everyone's
chosen frequency in one query, and inserts the rows in bulk: at most one per recipient and entry
(the unique constraint makes running it twice harmless). Immediate ones are e-mailed by a task
each, after commit. Queries per entry are bounded: they do not grow with the number of recipients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from coproduce.accounts.models import User
from coproduce.communities.access import can_read_space
from coproduce.communities.models import Application, Space, SpaceMembership, Visibility
from coproduce.communities.selectors import user_with_email
from coproduce.core.pagecache import bump_after_commit
from coproduce.discussions.models import Comment, Thread
from coproduce.governance.models import AuditEntry
from coproduce.notifications.models import Frequency, Kind, Notification
from coproduce.notifications.selectors import frequencies_for
from coproduce.wiki.models import Page, Watch

TEXT_MAX_LENGTH = 300


@dataclass(frozen=True)
class Message:
    kind: str
    text: str
    url: str


@dataclass
class Plan:
    """What one entry tells whom. `space` is checked for read access (None: nothing to check).

    `page` is the page it is about: stored on each notification, so that they are hidden while a
    moderator hides the page.
    """

    space: Space | None
    actor: User | None  # shown as who did it
    messages: dict[int, Message] = field(default_factory=dict)  # recipient id → message
    skip: set[int | None] = field(default_factory=set)  # never told (the people who did it)
    emailed: bool = False  # already e-mailed by whoever made the change: in the inbox only
    page: Page | None = None


def _pk(entry: AuditEntry) -> int | None:
    return int(entry.target_id) if entry.target_id.isdigit() else None


def _name(user: User | None) -> str:
    return user.display_name if user is not None else "Someone"


def page_url(page: Page, anchor: str = "") -> str:
    path = reverse("wiki:page", kwargs={"space_slug": page.space.slug, "page_slug": page.slug})
    return f"{path}#{anchor}" if anchor else path


# --- routes ------------------------------------------------------------------------------


def _comment(entry: AuditEntry) -> Plan | None:
    """A visible new, released or edited comment: its parent's author, and whom it mentions."""
    after = entry.after
    pk = _pk(entry)
    if after.get("state") != Comment.State.VISIBLE or pk is None:
        return None
    comment = Comment.objects.select_related("author", "thread__space", "thread__page").filter(pk=pk).first()
    if comment is None or comment.state != Comment.State.VISIBLE:  # hidden or deleted meanwhile
        return None
    page = comment.thread.page
    if page is None or page.hidden_at is not None:
        return None
    page.space = comment.thread.space
    author, url = comment.author, page_url(page, f"comment-{comment.pk}")
    plan = Plan(space=page.space, actor=author, skip={comment.author_id, entry.actor_id}, page=page)
    parent_author = after.get("parent_author")
    if isinstance(parent_author, int):
        text = f"{_name(author)} replied to your comment on “{page.title}”"
        plan.messages[parent_author] = Message(Kind.REPLY, text, url)
    for mentioned in after.get("mentions") or []:
        if isinstance(mentioned, int):  # a mention is the more specific news: it replaces a reply
            text = f"{_name(author)} mentioned you in a comment on “{page.title}”"
            plan.messages[mentioned] = Message(Kind.MENTION, text, url)
    return plan


def _discussion_close(entry: AuditEntry) -> Plan | None:
    """Everyone who wrote in the thread, except whoever closed it."""
    pk = _pk(entry)
    thread = Thread.objects.select_related("space", "page").filter(pk=pk).first() if pk else None
    if thread is None or thread.page is None or thread.page.hidden_at is not None:
        return None
    page = thread.page
    page.space = thread.space
    if entry.after.get("automatic") or entry.actor is None:
        text = f"The discussion on “{page.title}” has closed"
    else:
        text = f"{_name(entry.actor)} closed the discussion on “{page.title}”"
    message = Message(Kind.DISCUSSION_CLOSED, text, page_url(page, "discussion"))
    writers = Comment.objects.filter(thread=thread, author__isnull=False).values_list("author_id", flat=True)
    plan = Plan(space=thread.space, actor=entry.actor, skip={entry.actor_id}, page=page)
    plan.messages = dict.fromkeys(set(writers), message)
    return plan


_PAGE_VERBS = {"page.create": "created", "page.save": "edited", "page.revert": "reverted"}


def _page_change(entry: AuditEntry) -> Plan | None:
    """The people watching the page or its space."""
    pk = _pk(entry)
    page = Page.objects.select_related("space").filter(pk=pk).first() if pk else None
    if page is None or page.hidden_at is not None:
        return None
    url = page_url(page)
    before, after = entry.before.get("revision"), entry.after.get("revision")
    if entry.action != "page.create" and isinstance(before, int) and isinstance(after, int):
        diff = reverse("wiki:diff", kwargs={"space_slug": page.space.slug, "page_slug": page.slug})
        url = f"{diff}?{urlencode({'from': before, 'to': after})}"
    title = entry.after.get("title") or page.title
    text = f"{_name(entry.actor)} {_PAGE_VERBS[entry.action]} “{title}” in {page.space.name}"
    watchers = Watch.objects.filter(Q(page=page) | Q(space_id=page.space_id)).values_list(
        "user_id", flat=True
    )
    message = Message(Kind.WATCHED, text, url)
    return Plan(
        space=page.space,
        actor=entry.actor,
        messages=dict.fromkeys(set(watchers), message),
        skip={entry.actor_id},
        page=page,
    )


def _application_decision(entry: AuditEntry) -> Plan | None:
    """The applicant, if they have an account, in the inbox only: communities already e-mailed them.

    An approved application always has one (approval makes it); a turned-down one only if the
    application names one or someone has proved they own its e-mail address.
    """
    pk = _pk(entry)
    application = Application.objects.filter(pk=pk).only("user_id", "email").first() if pk else None
    if application is None:
        return None
    user_id = application.user_id
    if user_id is None and entry.action == "application.reject":
        account = user_with_email(application.email)
        user_id = account.pk if account is not None else None
    if user_id is None:
        return None
    if entry.action == "application.approve":
        text = "Your application to join was approved. Welcome to the community!"
        message = Message(Kind.APPLICATION, text, reverse("communities:spaces"))
    else:
        reason = str(entry.after.get("reason") or "")
        text = (
            f"Your application to join was not approved: {reason}"
            if reason
            else ("Your application to join was not approved.")
        )
        message = Message(Kind.APPLICATION, text, reverse("notifications:inbox"))
    return Plan(space=None, actor=entry.actor, messages={user_id: message}, emailed=True)


def _sanction(entry: AuditEntry) -> Plan | None:
    """The member a moderator warned or suspended (not tied to a space: they always hear)."""
    pk = _pk(entry)
    if pk is None:
        return None
    reason = str(entry.after.get("reason") or "")
    if entry.action == "member.warn":
        text = f"A moderator sent you a warning: {reason}"
    else:
        text = f"A moderator suspended you from posting until {_when(entry.after.get('until'))}: {reason}"
    message = Message(Kind.MODERATION, text, reverse("notifications:inbox"))
    return Plan(space=None, actor=entry.actor, messages={pk: message}, skip={entry.actor_id})


def _when(value: object) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return "further notice"
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return f"{timezone.localtime(moment):%-d %B %Y, %H:%M}"


ROUTES: dict[str, Callable[[AuditEntry], Plan | None]] = {
    "comment.create": _comment,
    "comment.publish": _comment,
    "comment.edit": _comment,  # its payload names only the people the edit newly mentions
    "discussion.close": _discussion_close,
    "page.create": _page_change,
    "page.save": _page_change,
    "page.revert": _page_change,
    "application.approve": _application_decision,
    "application.reject": _application_decision,
    "member.warn": _sanction,
    "member.suspend": _sanction,
}


# --- the fan-out ---------------------------------------------------------------------------


def readers(users: list[User], space: Space | None) -> list[User]:
    """The users who may read `space` now, with at most one query.

    Public and members-only spaces are decided by `can_read_space` from the user row alone. For
    a private space, `can_read_space` would ask for each person's membership; this asks for all
    of them at once and applies the same rule (community admins, or members of the space who are
    still community members). tests/test_fanout.py checks it agrees with `can_read_space`.
    """
    if space is None:
        return users
    if space.visibility != Visibility.PRIVATE:
        return [user for user in users if can_read_space(user, space)]
    inside = set(
        SpaceMembership.objects.filter(space=space, user__in=users).values_list("user_id", flat=True)
    )
    return [user for user in users if user.is_community_admin or (user.is_member and user.pk in inside)]


def fan_out(*, entry_id: int) -> int:
    """Make the notifications for audit entry `entry_id`; returns how many recipients it has."""
    from coproduce.notifications import tasks  # tasks import this module

    entry = AuditEntry.objects.select_related("actor").filter(pk=entry_id).first()
    route = ROUTES.get(entry.action) if entry is not None else None
    plan = route(entry) if entry is not None and route is not None else None
    if entry is None or plan is None:
        return 0
    wanted = [pk for pk in plan.messages if pk not in plan.skip]
    people = readers(list(User.objects.filter(pk__in=wanted, is_active=True)), plan.space)
    kinds = {plan.messages[user.pk].kind for user in people}
    frequencies = frequencies_for([user.pk for user in people], kinds)
    now = timezone.now()
    rows = []
    for user in people:
        message = plan.messages[user.pk]
        rows.append(
            Notification(
                recipient=user,
                kind=message.kind,
                entry=entry,
                space=plan.space,
                page=plan.page,
                actor=plan.actor,
                text=Truncator(message.text).chars(TEXT_MAX_LENGTH),
                url=message.url,
                created_at=now,
                frequency=frequencies[(user.pk, message.kind)],
                emailed_at=now if plan.emailed else None,
            )
        )
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        immediate = Notification.objects.filter(
            entry=entry, frequency=Frequency.IMMEDIATE, emailed_at__isnull=True
        ).values_list("pk", flat=True)
        for pk in immediate:
            transaction.on_commit(partial(tasks.send_notification.enqueue, pk))
        bump_after_commit()  # every recipient's inbox count changed (core/viewercache.py)
    return len(rows)
