"""Discussion benchmark: posting a comment, and a page with 500 comments.

`.venv/bin/python -m bench.discussions [--runs N]`

In a fresh temporary data folder with production settings (DEBUG off, SQLite, manifest static
files, rate limits off; see `bench/wiki_load.py`), this process runs `collectstatic` and
`migrate`, then seeds a members space with three pages carrying 10, 100 and 500 comments (a
third of them replies, nested up to several levels, from 20 members) and one page to post on.
Through Django's test client (the whole middleware stack, no network), logged in as a member:

- posting a comment: `--runs` POSTs of the comment form, each timed (median, p90) and its
  queries counted;
- viewing the page with 500 comments: `--runs` GETs, timed;
- the queries of one GET of each page (10, 100, 500 comments), as a member and as a moderator:
  they must not grow with the number of comments.

Prints a small table. The temporary folder is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = (10, 100, 500)
PEOPLE = 20


@dataclass
class Timing:
    label: str
    runs: int
    median_ms: float
    p90_ms: float
    queries: int


def _configure(data: str) -> None:
    os.environ.update(
        {
            "COPRODUCE_DEBUG": "0",
            "COPRODUCE_HTTPS": "0",
            "COPRODUCE_SECRET_KEY": "bench-" + "k" * 60,
            "COPRODUCE_EMAIL_HOST": "127.0.0.1",
            "COPRODUCE_RATE_LIMITS": "0",
            "COPRODUCE_DATA_DIR": data,
            "DJANGO_SETTINGS_MODULE": "coproduce.settings",
        }
    )
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)


def _seed() -> dict[str, Any]:
    from coproduce.accounts.models import Role, User
    from coproduce.communities.models import Space, SpaceMembership, SpaceRole, Visibility
    from coproduce.discussions.models import Comment
    from coproduce.discussions.services import thread_for_page
    from coproduce.lib.markdown import render_comment
    from coproduce.wiki import services as wiki

    def person(name: str, role: str) -> User:
        return User.objects.create_user(
            username=name, email=f"{name}@example.nhs.uk", name=name.title(), role=role
        )

    facilitator = person("bench_facilitator", Role.FACILITATOR)
    moderator = person("bench_moderator", Role.MODERATOR)
    members = [person(f"bench_member_{n:02d}", Role.MEMBER) for n in range(PEOPLE)]
    space = Space.objects.create(slug="bench-members", name="Bench", visibility=Visibility.MEMBERS)
    SpaceMembership.objects.create(space=space, user=facilitator, role=SpaceRole.FACILITATOR)
    pages = {}
    for size in SIZES:
        page = wiki.page_create(space=space, actor=facilitator, title=f"Discussed {size}", body="A page.\n")
        thread = thread_for_page(page)
        made: list[Comment] = []
        for n in range(size):
            body = (
                f"Comment {n} with **some** text, a [link](https://example.org/{n}) "
                "and @bench_member_00.\n\n- a\n- b\n"
            )
            comment = Comment.objects.create(
                thread=thread,
                parent=made[n // 3] if n % 3 and made else None,
                author=members[n % PEOPLE],
                body=body,
                html=render_comment(body, mentions={"bench_member_00"}),
            )
            made.append(comment)
        pages[size] = page
    target = wiki.page_create(space=space, actor=facilitator, title="Posted on", body="A page.\n")
    return {"member": members[1], "moderator": moderator, "pages": pages, "target": target}


def _timed(label: str, runs: int, request: Callable[[], Any]) -> Timing:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request()  # warm up: templates, URL resolver, the session
    times: list[float] = []
    queries: list[int] = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = request()
            times.append((time.perf_counter() - start) * 1000)
        if response.status_code not in (200, 302):
            raise RuntimeError(f"{label}: HTTP {response.status_code}")
        queries.append(len(captured.captured_queries))
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return Timing(label, runs, statistics.median(times), p90, max(queries))


def _queries(client: Any, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return len(captured.captured_queries)


def run(runs: int) -> None:
    from django.test import Client
    from django.urls import reverse

    seeded = _seed()
    member, moderator, pages, target = (
        seeded["member"],
        seeded["moderator"],
        seeded["pages"],
        seeded["target"],
    )
    client, moderating = Client(), Client()
    client.force_login(member)
    moderating.force_login(moderator)

    def path(page: Any) -> str:
        return reverse("wiki:page", args=[page.space.slug, page.slug])

    posted = iter(range(10**6))
    post_url = reverse("discussions:create", args=[target.space.slug, target.slug])
    timings = [
        _timed(
            "POST a comment",
            runs,
            lambda: client.post(
                post_url, {"body": f"Benchmark comment {next(posted)}, thanks @bench_member_02."}
            ),
        ),
        _timed("GET page, 500 comments (member)", runs, lambda: client.get(path(pages[500]))),
        _timed("GET page, 500 comments (moderator)", runs, lambda: moderating.get(path(pages[500]))),
        _timed("GET page, 10 comments (member)", runs, lambda: client.get(path(pages[10]))),
    ]
    print(f"\nDiscussions benchmark: SQLite, production settings, test client, {runs} runs each\n")
    print(f"{'request':<38} {'median ms':>10} {'p90 ms':>8} {'queries':>8}")
    for timing in timings:
        print(f"{timing.label:<38} {timing.median_ms:>10.1f} {timing.p90_ms:>8.1f} {timing.queries:>8}")
    print(f"\n{'queries per page view':<38} " + " ".join(f"{size:>6}" for size in SIZES))
    for label, who in (("member", client), ("moderator", moderating)):
        counts = [_queries(who, path(pages[size])) for size in SIZES]
        print(f"{label:<38} " + " ".join(f"{count:>6}" for count in counts))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20, help="requests timed per measurement (default 20)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coproduce-bench-discussions-") as data:
        _configure(data)
        run(max(1, args.runs))


if __name__ == "__main__":
    main()
