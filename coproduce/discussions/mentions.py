"""@mentions in comments: who a comment names, and who of them may hear about it.

`usernames(body)` reads `@username` in the text outside code (inline code spans, fenced and
indented code blocks are ignored, and so is an address such as name@example.org).
`mentioned_users(body, space=..., author=...)` keeps only the people who exist, are active
community members and can read the space; the others stay plain text and hear nothing.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable

from django.db.models import Q
from markdown_it import MarkdownIt
from markdown_it.token import Token

from coproduce.accounts.models import Role, User
from coproduce.communities.access import can_read_space
from coproduce.communities.models import Space
from coproduce.lib.markdown import MENTION

MAX_MENTIONS = 20  # more names than this in one comment are read as text, not as mentions

_PARSER = MarkdownIt("commonmark", {"html": False})


def _texts(tokens: Iterable[Token]) -> Iterable[str]:
    for token in tokens:
        if token.type == "text":
            yield token.content
        elif token.children:
            yield from _texts(token.children)


def usernames(body: str) -> list[str]:
    """The names mentioned in `body`, in order, once each (compared ignoring case)."""
    seen: dict[str, str] = {}
    for text in _texts(_PARSER.parse(body)):
        for match in MENTION.finditer(text):
            seen.setdefault(match["name"].casefold(), match["name"])
    return list(seen.values())[:MAX_MENTIONS]


def mentioned_users(body: str, *, space: Space, author: User | None) -> list[User]:
    """The people `body` mentions who may read `space` (never the author), by id."""
    names = {name.casefold() for name in usernames(body)}
    if not names:
        return []
    any_name = functools.reduce(operator.or_, (Q(username__iexact=name) for name in sorted(names)))
    candidates = User.objects.filter(any_name, is_active=True).exclude(role=Role.NONE)
    if author is not None:
        candidates = candidates.exclude(pk=author.pk)
    people = [user for user in candidates.order_by("pk") if user.username.casefold() in names]
    return [user for user in people if can_read_space(user, space)]
