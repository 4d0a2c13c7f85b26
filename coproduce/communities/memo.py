"""Answers one request asks several times, read from the database once per request.

A wiki page view asks for the viewer's role in the page's space three times (may they edit it,
moderate it, close its discussion?), and the search page asks twice which spaces the viewer may
read: each time a query. `RequestMemoMiddleware` opens a memo for the length of one request, and
the access helpers (`communities.access.space_role`, `readable_spaces`) keep their answers in it.

Why an answer kept here is never stale:

- The memo exists only while Django handles a request: a context variable the middleware sets
  and resets in `finally`, so each request (each thread) starts with an empty one. Code outside
  a request (services called by tasks, commands, the shell, tests calling the access helpers
  directly with a user object they change between calls) finds none and asks the database every
  time, exactly as before.
- Any statement other than a SELECT run during the request (an INSERT, UPDATE or DELETE on any
  table, through a membership service, the admin, a signal or a cascade; a savepoint rollback)
  empties the memo before it runs, so a membership changed in the middle of a request is read
  again afterwards. Freshness does not depend on every service remembering to clear the memo.
- Nothing is kept while a transaction the request opened is under way (an `atomic` block deeper
  than the ones already open when the request began, such as a test's own transaction): a value
  read there could come from writes a later rollback undoes, and a rollback is not a statement
  the memo sees.
- Keys hold what the answer depends on: the user's and the space's ids for a role; the user's
  id and its flags (active, member, community admin) for the spaces they may read.

So an answer is the database's as of some earlier moment of the same request with no write in
between: what a query at that point would have returned.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import ExitStack
from contextvars import ContextVar
from typing import Any, cast

from django.db import connection, connections
from django.http import HttpRequest, HttpResponseBase


class _Memo:
    __slots__ = ("answers", "depth")

    def __init__(self) -> None:
        self.answers: dict[Hashable, object] = {}
        self.depth = len(connection.atomic_blocks)  # transactions open before the request


_memo: ContextVar[_Memo | None] = ContextVar("coproduce_request_memo", default=None)


def remembered[T](key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, asked once per request for the same `key` (every time outside a request)."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key in memo.answers:
        return cast(T, memo.answers[key])
    value = compute()
    if len(connection.atomic_blocks) <= memo.depth:
        memo.answers[key] = value
    return value


def forget() -> None:
    """Empty the current request's memo (nothing to do outside a request)."""
    memo = _memo.get()
    if memo is not None:
        memo.answers.clear()


def _forget_on_write(
    execute: Callable[..., Any], sql: object, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    if not isinstance(sql, str) or not sql.lstrip()[:6].upper().startswith("SELECT"):
        forget()  # anything that is not plainly a read may have changed what the memo holds
    return execute(sql, params, many, context)


class RequestMemoMiddleware:
    """Opens the memo for one request, empties it on every write, and drops it at the end."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = _memo.set(_Memo())
        try:
            with ExitStack() as stack:
                for alias in connections:
                    stack.enter_context(connections[alias].execute_wrapper(_forget_on_write))
                return self.get_response(request)
        finally:
            _memo.reset(token)
