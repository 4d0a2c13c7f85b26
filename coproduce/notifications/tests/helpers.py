"""Rows the notification tests share: a page with a discussion, and audit entries as producers write them."""

from __future__ import annotations

from typing import Any

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.discussions.models import Comment, Thread
from coproduce.governance import audit
from coproduce.governance.models import AuditEntry
from coproduce.wiki.models import Page
from coproduce.wiki.services import page_create


def make_page(space: Space, author: User, title: str = "Workforce") -> Page:
    return page_create(space=space, actor=author, title=title, body="What we know about the workforce.")


def make_comment(
    page: Page, author: User, *, parent: Comment | None = None, state: str = "visible"
) -> Comment:
    thread, _ = Thread.objects.get_or_create(page=page, defaults={"space": page.space})
    return Comment.objects.create(thread=thread, parent=parent, author=author, body="A thought.", state=state)


def record_comment(
    comment: Comment,
    *,
    mentions: list[User] | None = None,
    action: str = "comment.create",
    actor: User | None = None,
) -> AuditEntry:
    """The entry `comment_create` (or `comment_publish`) writes, with the contract's payload."""
    thread = comment.thread
    after: dict[str, Any] = {
        "thread": thread.pk,
        "page": thread.page_id,
        "parent": comment.parent_id,
        "parent_author": comment.parent.author_id if comment.parent else None,
        "mentions": [user.pk for user in mentions or []],
        "state": comment.state,
    }
    return audit.record(
        actor=actor or comment.author, action=action, target=comment, space=thread.space, after=after
    )
