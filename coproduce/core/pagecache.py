"""Whole-page cache for anonymous readers, answered in front of Django.

Most readers of a public space are not signed in, and what they see changes only when someone
changes something, which always writes an audit entry. So:

- A view opts a response in with `anonymous_cacheable` (it adds a marker header, only for
  anonymous requests). The ASGI wrapper `PageCache` keeps such responses in this process's
  memory, keyed by scheme, host, path and query, if they are 200, HTML, and set no cookie.
- Every audit entry moves the *content version* on, after commit (`bump`). A cached copy is
  served only while the version is the one it was rendered at, so no reader ever sees a page
  older than the last committed change. The version lives in Redis when `REDIS_URL` is set
  (shared by every process and machine), otherwise in a small file in the data folder (shared
  by the processes of one machine; modification times are too coarse to tell quick changes apart).
- Requests that carry a session or messages cookie or an Authorization header, and anything but
  GET, always go to Django.
- Each copy served gets a fresh CSP nonce, substituted into the header and the body, so a nonce is
  never sent twice.

`COPRODUCE_PAGE_CACHE_ENTRIES` bounds the entries per process (0 turns the cache off).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

type Scope = dict[str, Any]
type Message = Mapping[str, Any]
type Receive = Callable[[], Awaitable[Message]]
type Send = Callable[[Message], Awaitable[None]]
type ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MARKER = "X-Coproduce-Anonymous-Cache"
_MARKER = MARKER.lower().encode()
MAX_BODY_BYTES = 1024 * 1024
MAX_AGE_SECONDS = 300  # a copy is dropped after this long even if nothing changed
_NONCE = re.compile(rb"'nonce-([A-Za-z0-9_-]{16,64})'")
_PERSONAL_COOKIES = re.compile(rb"(?:^|;)\s*(?:__Host-)?(?:sessionid|messages)=")  # __Host-: production


# --- the content version -------------------------------------------------------------------


class ContentVersion:
    """A token that changes whenever anything anyone can read may have changed."""

    def __init__(self, *, redis_url: str | None, path: Path) -> None:
        self.path = path
        self.client = (
            redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            if redis_url
            else None
        )

    def current(self) -> bytes | None:
        """The version now, or None when it cannot be known (then nothing is served from cache)."""
        try:
            if self.client is not None:
                value = self.client.get("coproduce:content-version")
                return value if isinstance(value, bytes) else b"0"
            if not self.path.exists():
                self.bump()  # the first change since the data folder was made
            return self.path.read_bytes()
        except (OSError, redis.RedisError) as error:
            logger.warning("content version unavailable, page cache bypassed: %s", error)
            return None

    def bump(self) -> None:
        try:
            if self.client is not None:
                self.client.incr("coproduce:content-version")
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A new random value each time, written aside then renamed over: readers see old or new.
            temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            temporary.write_text(f"{time.time_ns()}-{secrets.token_hex(8)}")
            os.replace(temporary, self.path)
        except (OSError, redis.RedisError) as error:
            logger.error("could not move the content version on; cached pages may be stale: %s", error)


_version: ContentVersion | None = None


def content_version() -> ContentVersion:
    global _version
    if _version is None:
        _version = ContentVersion(
            redis_url=settings.REDIS_URL or None, path=Path(settings.DATA_DIR) / "content-version"
        )
    return _version


def bump_after_commit(*_: object) -> None:
    """Audit listener: once the change is committed, every cached page is out of date."""
    transaction.on_commit(content_version().bump)


def bump_on_admin_change(**_: object) -> None:
    """A change saved in Django's admin (its LogEntry is saved), or a deletion of rows that
    decide what a member may see (core/apps.py): the same.

    The admin logs a deletion of several rows with `bulk_create`, which sends no signal: for
    other rows than those, readers of cached copies see it when the copies expire.
    """
    bump_after_commit()


# --- views opt in ---------------------------------------------------------------------------


def anonymous_cacheable[**P](
    view: Callable[P, HttpResponse],
) -> Callable[P, HttpResponse]:
    """Mark the view's responses to anonymous readers as the same for every anonymous reader."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        response = view(*args, **kwargs)
        request = args[0]
        if isinstance(request, HttpRequest) and not request.user.is_authenticated:
            response[MARKER] = "1"
        return response

    return wrapper


# --- the ASGI wrapper -----------------------------------------------------------------------


@dataclass
class Entry:
    version: bytes
    stored_at: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    nonce: bytes | None


class PageCache:
    def __init__(self, app: ASGIApp, *, entries: int, version: Callable[[], ContentVersion]) -> None:
        self.app = app
        self.capacity = entries
        self.version = version
        self.entries: OrderedDict[tuple[bytes, ...], Entry] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope) if self.capacity > 0 else None
        if key is None:
            await self.app(scope, receive, send)
            return
        version = self.version().current()
        entry = self.entries.get(key)
        if entry is not None and version is not None and self._fresh(entry, version):
            self.entries.move_to_end(key)
            await self._replay(entry, send)
            return
        await self.app(scope, receive, self._recorder(key, version, send))

    @staticmethod
    def _fresh(entry: Entry, version: bytes) -> bool:
        return entry.version == version and time.monotonic() - entry.stored_at < MAX_AGE_SECONDS

    def _key(self, scope: Scope) -> tuple[bytes, ...] | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        host = forwarded = b""
        for name, value in scope["headers"]:
            if name == b"authorization" or (name == b"cookie" and _PERSONAL_COOKIES.search(value)):
                return None
            if name == b"host":
                host = value
            elif name == b"x-forwarded-proto":
                forwarded = value
        path = scope.get("raw_path") or scope["path"].encode()
        return (scope["scheme"].encode(), forwarded, host, path, scope.get("query_string", b""))

    def _recorder(self, key: tuple[bytes, ...], version: bytes | None, send: Send) -> Send:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                cacheable = any(name.lower() == _MARKER for name, _ in headers)
                headers = [(n, v) for n, v in headers if n.lower() != _MARKER]
                message = {**message, "headers": headers}
                if cacheable and version is not None:
                    start.update(message)
            elif message["type"] == "http.response.body" and start:
                chunks.append(message.get("body", b""))
                if sum(map(len, chunks)) > MAX_BODY_BYTES:
                    start.clear()
                elif not message.get("more_body", False):
                    self._store(key, version, start, b"".join(chunks))
            await send(message)

        return record

    def _store(
        self, key: tuple[bytes, ...], version: bytes | None, start: dict[str, Any], body: bytes
    ) -> None:
        headers: list[tuple[bytes, bytes]] = start["headers"]
        names = {name.lower() for name, _ in headers}
        content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
        if version is None or start["status"] != 200 or b"set-cookie" in names:
            return
        if not content_type.startswith(b"text/html"):
            return
        policy = next((v for n, v in headers if n.lower() == b"content-security-policy"), b"")
        nonce = match.group(1) if (match := _NONCE.search(policy)) else None
        self.entries[key] = Entry(version, time.monotonic(), start["status"], headers, body, nonce)
        self.entries.move_to_end(key)
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)

    async def _replay(self, entry: Entry, send: Send) -> None:
        headers, body = entry.headers, entry.body
        if entry.nonce is not None:
            fresh = secrets.token_urlsafe(16).encode()
            headers = [(n, v.replace(entry.nonce, fresh)) for n, v in headers]
            body = body.replace(entry.nonce, fresh)
        headers = [(n, str(len(body)).encode() if n.lower() == b"content-length" else v) for n, v in headers]
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
