"""Pages a signed-in member has already been shown, shown again from memory while nothing changed.

A delegate moves between a handful of pages during a workshop: the space, its wiki index, the
page being discussed, a search. Rendering one of those for a member costs Django 10 to 20 ms
(templates, the member's role, the discussion, the inbox count); serving the copy already made
for the same member costs a fraction of a millisecond. So, as a WSGI layer in front of Django
(it runs on the server's thread pool, where database calls belong):

- A view opts in with `viewer_cacheable`: its answer depends only on what the site holds and on
  the viewer's session, never on the clock or on headers other than the ones in the key.
- A copy is kept per session, keyed by the session and CSRF cookies, scheme, host, path, query
  and the `HX-Request` header. It is only for `GET` 200 HTML answers that set no cookie but
  the CSRF cookie the request sent (Django renews that one's expiry with every form).
- A copy is served only while (1) the content version (core/pagecache.py, moved on after every
  committed change that writes an audit entry, and after notifications are created or read) is
  the one it was made at, and (2) the session's row in the database is still there, unexpired,
  with the very data it had when the copy was made. (2) is read on every request, so logging
  out, a password change or an administrator ending sessions takes effect at once; a message
  or a sign-in step kept in the session makes the next request go to Django.
- ... and while the member's own row (password, active, role, suspension, erasure) is unchanged:
  Django itself ends a session whose member's password changed or who was deactivated.
- Both rows are read before Django renders and again after: a copy is kept only if they did not
  change meanwhile, so a change made during the rendering is never frozen into a copy.
- Scripts are treated alike: an API view that opts in (today the search, with ninja's
  `decorate_view`) keeps its JSON answer per API token (by the token's SHA-256), served only
  while the content version is the same and the token's row (unrevoked; not the time it was
  last used) and its owner's row are as they were, read on every request. A request with both a
  session cookie and a token always goes to Django.
- Requests with a messages cookie, and anything but GET, always go to Django. Each copy served
  gets a fresh CSP nonce, as in the anonymous cache.
- A copy lives at most a minute (some things follow the clock: a discussion closing at a set
  time); a session or token keeps at most 20 copies, and a process at most 64 MB of them.

`COPRODUCE_VIEWER_CACHE_ENTRIES` bounds the copies per process (0 turns this off). It only works
with the database session engine (the default); with any other it passes everything through.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import wraps
from types import TracebackType
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import Error, close_old_connections, connection
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.utils import timezone

from coproduce.accounts.models import ApiToken, hash_token
from coproduce.core.pagecache import MAX_BODY_BYTES, ContentVersion

logger = logging.getLogger(__name__)

MARKER = "X-Coproduce-Viewer-Cache"
# A copy is made again after a minute even if nothing changed: a few things a page shows follow
# the clock (a discussion closing at a set time, a suspension ending), not a recorded change.
MAX_AGE_SECONDS = 60
PER_SESSION = 20  # copies one session or token may hold: one caller cannot push everyone else's out
MAX_BYTES = 64 * 1024 * 1024  # all copies of a process together
_MARKER = MARKER.lower()
DB_SESSIONS = "django.contrib.sessions.backends.db"

type Environ = dict[str, Any]
type Headers = list[tuple[str, str]]
type ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class StartResponse(Protocol):
    def __call__(
        self, status: str, headers: Headers, exc_info: ExcInfo | None = ..., /
    ) -> Callable[[bytes], object]: ...


type WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
type Write = Callable[[bytes], object]


def viewer_cacheable[**P](view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    """Mark the view's answers to signed-in members as the same until something changes."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        response = view(*args, **kwargs)
        request = args[0]
        if isinstance(request, HttpRequest) and (
            request.user.is_authenticated  # the session's member
            or getattr(getattr(request, "auth", None), "is_authenticated", False)  # an API token's
        ):
            response[MARKER] = "1"
        return response

    return wrapper


def session_state(session_key: str) -> bytes | None:
    """A digest of the session's row and of its member's row as stored now.

    None if the session is gone, expired, holds no member, or cannot be read. The member's row
    is in it because Django ends a session by itself when it changes in certain ways (a new
    password, deactivation), and other fields (role, suspension, erasure) change what pages show.
    """
    sessions = connection.ops.quote_name(Session._meta.db_table)
    users = connection.ops.quote_name(get_user_model()._meta.db_table)
    close_old_connections()  # as at the start of a request Django handles: honours CONN_MAX_AGE
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {sessions} WHERE session_key = %s AND expire_date > %s",  # noqa: S608
                [session_key, timezone.now()],
            )
            found = cursor.fetchone()
            if found is None:
                return None
            user_id = SessionStore().decode(str(found[0])).get(SESSION_KEY)
            if user_id is None:
                return None
            cursor.execute(f"SELECT * FROM {users} WHERE id = %s", [user_id])  # noqa: S608
            user = cursor.fetchone()
    except (Error, ValueError, TypeError) as error:
        logger.warning("session unreadable, viewer cache bypassed: %s", error)
        close_old_connections()
        return None
    if user is None:
        return None
    return hashlib.blake2b(repr((found[0], user)).encode(), digest_size=16).digest()


def token_state(digest: str) -> bytes | None:
    """A digest of an API token's row (but the time it was last used) and of its owner's row.

    None if the token is unknown or revoked, its owner gone, or it cannot be read: then the
    request goes to Django, which answers it (with 401 when the token is no good).
    """
    tokens = connection.ops.quote_name(ApiToken._meta.db_table)
    users = connection.ops.quote_name(get_user_model()._meta.db_table)
    close_old_connections()
    try:
        with connection.cursor() as cursor:
            columns = "id, user_id, digest, created_at"  # not last_used_at: Django moves it on each minute
            live = f"SELECT {columns} FROM {tokens} WHERE digest = %s AND revoked_at IS NULL"  # noqa: S608
            cursor.execute(live, [digest])
            found = cursor.fetchone()
            if found is None:
                return None
            cursor.execute(f"SELECT * FROM {users} WHERE id = %s", [found[1]])  # noqa: S608
            user = cursor.fetchone()
    except Error as error:
        logger.warning("API token unreadable, viewer cache bypassed: %s", error)
        close_old_connections()
        return None
    if user is None:
        return None
    return hashlib.blake2b(repr((found, user)).encode(), digest_size=16).digest()


def _state(identity: str) -> bytes | None:
    """The state a copy for this caller (a session, or an API token) is only good for."""
    kind, _, value = identity.partition(":")
    return token_state(value) if kind == "token" else session_state(value)


@dataclass
class Entry:
    version: bytes
    state: bytes  # of the session or API token, and of its member (session_state, token_state)
    stored_at: float
    status: str
    headers: Headers
    body: bytes
    nonce: str | None


class ViewerCache:
    def __init__(self, app: WSGIApp, *, entries: int, version: Callable[[], ContentVersion]) -> None:
        self.app = app
        self.capacity = entries if settings.SESSION_ENGINE == DB_SESSIONS else 0
        self.version = version
        self.entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self.size = 0  # bytes of all bodies kept
        self.lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        found = self._key(environ) if self.capacity > 0 else None
        if found is None:
            return self._passing(environ, start_response)
        identity, key = found
        version = self.version().current()
        state = _state(identity)
        if version is None or state is None:
            return self._passing(environ, start_response)
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and self._fresh(entry, version, state):
                self.entries.move_to_end(key)
            else:
                entry = None
        if entry is not None:
            return self._replay(entry, start_response)
        return self._recording(environ, start_response, identity, key, version, state)

    @staticmethod
    def _fresh(entry: Entry, version: bytes, state: bytes) -> bool:
        return (
            entry.version == version
            and entry.state == state
            and time.monotonic() - entry.stored_at < MAX_AGE_SECONDS
        )

    @staticmethod
    def _key(environ: Environ) -> tuple[str, tuple[str, ...]] | None:
        """(who is asking, the copy's key), or None if the request must go to Django.

        Who is asking is "session:<key>" for a browser, or "token:<SHA-256 of the token>" for a
        script sending `Authorization: Bearer` and no session (with both, Django decides).
        """
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        session_key = cookies.get(settings.SESSION_COOKIE_NAME, "")
        if CookieStorage.cookie_name in cookies:
            return None
        authorization = environ.get("HTTP_AUTHORIZATION")
        if authorization is not None:
            scheme, _, raw = authorization.partition(" ")
            if session_key or scheme.lower() != "bearer" or not raw.strip():
                return None
            identity = "token:" + hash_token(raw.strip())
        elif session_key:
            identity = "session:" + session_key
        else:
            return None
        key = (
            identity,
            cookies.get(settings.CSRF_COOKIE_NAME, ""),
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_X_FORWARDED_PROTO", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_HX_REQUEST", ""),
        )
        return identity, key

    def _passing(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """Straight to Django; only the marker is taken off the answer."""

        def start(status: str, headers: Headers, exc_info: ExcInfo | None = None) -> Write:
            return start_response(status, [(n, v) for n, v in headers if n.lower() != _MARKER], exc_info)

        return self.app(environ, start)

    def _recording(
        self,
        environ: Environ,
        start_response: StartResponse,
        identity: str,
        key: tuple[str, ...],
        version: bytes,
        state: bytes,
    ) -> Iterable[bytes]:
        answer: dict[str, Any] = {}

        def start(status: str, headers: Headers, exc_info: ExcInfo | None = None) -> Write:
            answer["cacheable"] = any(n.lower() == _MARKER for n, _ in headers)
            answer["status"], answer["headers"] = status, [(n, v) for n, v in headers if n.lower() != _MARKER]
            return start_response(status, answer["headers"], exc_info)

        iterable = self.app(environ, start)
        csrf = key[1]
        if not answer.get("cacheable") or not self._storable(answer["status"], answer["headers"], csrf):
            return iterable
        return self._collect(iterable, identity, key, version, state, answer)

    def _collect(
        self,
        iterable: Iterable[bytes],
        identity: str,
        key: tuple[str, ...],
        version: bytes,
        state: bytes,
        answer: dict[str, Any],
    ) -> Iterator[bytes]:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in iterable:
                size += len(chunk)
                if size <= MAX_BODY_BYTES:
                    chunks.append(chunk)
                elif chunks:
                    chunks.clear()  # too big to keep: stop holding it
                yield chunk
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()  # Django's request_finished: the session is saved by now
        # Kept only if the session and the member's row are as they were before Django began: the
        # copy was made from them alone, not from a change made meanwhile (by this request, or by
        # another one, such as a log-out elsewhere or a new role, that ended during the rendering).
        if size <= MAX_BODY_BYTES and _state(identity) == state:
            self._store(
                key,
                Entry(
                    version,
                    state,
                    time.monotonic(),
                    answer["status"],
                    answer["headers"],
                    b"".join(chunks),
                    _nonce(answer["headers"]),
                ),
            )

    @staticmethod
    def _storable(status: str, headers: Headers, csrf: str) -> bool:
        """200 HTML or JSON setting no cookie but the CSRF one the request sent, as it was.

        (Django sends the CSRF cookie again with every page holding a form, to renew its expiry;
        the same header can be sent again with the copy, since the key holds that cookie.)
        """
        content_type = next((v for n, v in headers if n.lower() == "content-type"), "")
        renewal = f"{settings.CSRF_COOKIE_NAME}={csrf};"
        cookies_ok = all(
            csrf and value.startswith(renewal) for name, value in headers if name.lower() == "set-cookie"
        )
        kind_ok = content_type.startswith(("text/html", "application/json"))
        return status.startswith("200 ") and kind_ok and cookies_ok

    def _store(self, key: tuple[str, ...], entry: Entry) -> None:
        with self.lock:
            self._drop(key)
            mine = [k for k in self.entries if k[0] == key[0]]  # this caller's, oldest first
            for old in mine[: max(0, len(mine) - PER_SESSION + 1)]:
                self._drop(old)
            self.entries[key] = entry
            self.size += len(entry.body)
            while self.entries and (len(self.entries) > self.capacity or self.size > MAX_BYTES):
                self._drop(next(iter(self.entries)))

    def _drop(self, key: tuple[str, ...]) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry.body)

    @staticmethod
    def _replay(entry: Entry, start_response: StartResponse) -> list[bytes]:
        headers, body = entry.headers, entry.body
        if entry.nonce is not None:
            fresh = secrets.token_urlsafe(16)
            headers = [(n, v.replace(entry.nonce, fresh)) for n, v in headers]
            body = body.replace(entry.nonce.encode(), fresh.encode())
        headers = [(n, str(len(body)) if n.lower() == "content-length" else v) for n, v in headers]
        start_response(entry.status, headers)
        return [body]


def _nonce(headers: Headers) -> str | None:
    policy = next((v for n, v in headers if n.lower() == "content-security-policy"), "")
    for part in policy.split("'"):
        if part.startswith("nonce-") and len(part) >= 22:
            return part[len("nonce-") :]
    return None
