"""Load benchmark for the wiki: page views, search and saves under 16 concurrent loopback clients.

For each database (SQLite, then PostgreSQL if reachable) and each page count:

1. a fresh data folder (and, for PostgreSQL, a fresh database), production settings, `collectstatic`,
   `migrate`, then seeding in a subprocess: two users, a public and a members space, N pages of about
   3 KB of Markdown with [[links]] (the first 200 through `page_create`, the rest bulk-created with the
   HTML rendered by `coproduce.lib.markdown.render`), then `coproduce reindex`;
2. for each worker count: `coproduce serve --port P --workers W`, then `wrk -c16 -t2 --latency` for
   `--duration` seconds, `--runs` times, on an anonymous page view, a logged-in page view (the session
   and CSRF cookies from a real log-in), `/search?q=...` and `/api/v1/search?q=...`; each of the
   last three also as a "first" view, each request with an address no earlier request used, so
   that no copy a member (or token) was already shown answers it (each after 2 s of unmeasured
   load); then 100 sequential API saves
   (PUT with a bearer token and the right base_revision); then the resident memory of every server
   process; the server's process group is stopped at the end, also on error.

Prints medians (requests/s, p50 and p99 latency) as a table. Loopback only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

COPRODUCE = str(Path(sys.executable).with_name("coproduce"))
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-Quokka-42"  # noqa: S105 - a throwaway database
MEMBER = "bench_member"
FACILITATOR = "bench_facilitator"
PUBLIC, MEMBERS = "bench-public", "bench-members"
SEARCH_WORD = "discharge"  # in about every other page (see _body)
CONCURRENCY = 16
WARM_UP_SECONDS = 2  # of load before each scenario's measured runs
REAL_CREATES = 200
PG_URL = "postgresql://postgres@127.0.0.1:5432/"

WORDS = [
    "patient",
    "carer",
    "family",
    "clinic",
    "ward",
    "nurse",
    "doctor",
    "pharmacy",
    "referral",
    "appointment",
    "pathway",
    "therapy",
    "community",
    "hospital",
    "primary",
    "secondary",
    "care",
    "plan",
    "review",
    "meeting",
    "feedback",
    "experience",
    "safety",
    "quality",
    "service",
    "team",
    "workshop",
    "session",
    "evidence",
    "outcome",
    "priority",
    "funding",
    "budget",
    "volunteer",
    "governance",
    "consent",
    "record",
    "letter",
    "telephone",
    "visit",
    "home",
    "support",
    "transport",
    "access",
    "language",
    "interpreter",
    "advocate",
    "coproduction",
    "partnership",
    "board",
    "committee",
    "network",
    "forum",
    "survey",
    "interview",
    "report",
    "action",
]


# --- seeding (runs in a subprocess with Django set up) --------------------------------------------


def _title(n: int) -> str:
    return f"Topic {n:06d} {WORDS[n % len(WORDS)].title()}"


def _body(n: int, total: int, rng: random.Random) -> str:
    """About 3 KB of Markdown: headings, paragraphs, a list and five [[links]] to other pages."""
    parts = [f"# {_title(n)}\n"]
    links = [f"[[{_title(rng.randrange(total))}]]" for _ in range(5)]
    for section in range(4):
        parts.append(f"\n## Section {section + 1}\n\n")
        words = [rng.choice(WORDS) for _ in range(95)]
        if n % 2 == 0 and section == 0:
            words[3] = SEARCH_WORD
        words[40] = links[section]
        parts.append(" ".join(words).capitalize() + ".\n")
    parts.append("\n- " + "\n- ".join(" ".join(rng.choice(WORDS) for _ in range(6)) for _ in range(4)))
    parts.append(f"\n\nSee also {links[4]} and **{rng.choice(WORDS)}**.\n")
    return "".join(parts)


def seed(total: int) -> None:
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from coproduce.accounts.models import User
    from coproduce.communities.models import Space, SpaceMembership, SpaceRole, Visibility
    from coproduce.lib.markdown import render
    from coproduce.wiki.models import Page, PageLink, Revision
    from coproduce.wiki.services import page_create
    from coproduce.wiki.slugs import slug_base

    started = time.perf_counter()
    people = {}
    for username, role in ((FACILITATOR, "facilitator"), (MEMBER, "member")):
        user = User.objects.create_user(
            username=username,
            email=f"{username}@example.nhs.uk",
            password=PASSWORD,
            name=username.replace("_", " ").title(),
            role=role,
            organisation="Bench NHS Trust",
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        people[username] = user
    spaces = [
        Space.objects.create(slug=PUBLIC, name="Bench public", visibility=Visibility.PUBLIC),
        Space.objects.create(slug=MEMBERS, name="Bench members", visibility=Visibility.MEMBERS),
    ]
    for space in spaces:
        SpaceMembership.objects.create(space=space, user=people[FACILITATOR], role=SpaceRole.FACILITATOR)
        SpaceMembership.objects.create(space=space, user=people[MEMBER], role=SpaceRole.MEMBER)
    rng = random.Random(42)
    actor = people[FACILITATOR]
    real = min(REAL_CREATES, total)
    for n in range(real):
        page_create(space=spaces[n % 2], actor=actor, title=_title(n), body=_body(n, total, rng))
    real_done = time.perf_counter()
    batch = 2000
    now = timezone.now()
    for start in range(real, total, batch):
        numbers = range(start, min(start + batch, total))
        with transaction.atomic():
            pages = Page.objects.bulk_create(
                Page(
                    space=spaces[n % 2],
                    slug=slug_base(_title(n)),
                    title=_title(n),
                    head=1,
                    created_at=now,
                    created_by=actor,
                    updated_at=now,
                    updated_by=actor,
                )
                for n in numbers
            )
            rendered = []
            revisions = []
            for n, page in zip(numbers, pages, strict=True):
                body = _body(n, total, rng)
                result = render(body, space_slug=spaces[n % 2].slug)
                rendered.append(result)
                revisions.append(
                    Revision(
                        page=page,
                        number=1,
                        title=page.title,
                        body=body,
                        html=result.html,
                        author=actor,
                        created_at=now,
                        chars_added=len(body),
                    )
                )
            Revision.objects.bulk_create(revisions)
            for page, revision in zip(pages, revisions, strict=True):
                page.current = revision
            Page.objects.bulk_update(pages, ["current"])
            PageLink.objects.bulk_create(
                PageLink(source=page, target_slug=link.slug, target_title=link.title)
                for page, result in zip(pages, rendered, strict=True)
                for link in {link.slug: link for link in result.links}.values()
            )
    with transaction.atomic():  # resolve every link by slug within its space, as the services would
        for space in spaces:
            by_slug = dict(Page.objects.filter(space=space).values_list("slug", "pk"))
            unresolved = PageLink.objects.filter(source__space=space, target__isnull=True)
            links = list(unresolved.only("pk", "target_slug"))
            for link in links:
                link.target_id = by_slug.get(link.target_slug)
            PageLink.objects.bulk_update([x for x in links if x.target_id], ["target"], batch_size=2000)
    bulk_done = time.perf_counter()
    call_command("reindex", verbosity=0)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "real_creates": real,
                "real_s": real_done - started,
                "bulk_s": bulk_done - real_done,
                "reindex_s": done - bulk_done,
                "total_s": done - started,
            }
        )
    )


# --- driving the server ---------------------------------------------------------------------------


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class Row:
    database: str
    pages: int
    workers: int
    scenario: str
    runs: list[Result] = field(default_factory=list)
    note: str = ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing; installing it from Debian's packages", flush=True)
    subprocess.run("apt-get update -qq && apt-get install -y -qq wrk", shell=True, check=True, timeout=600)  # noqa: S602
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("could not install wrk")
    return found


def _env(data: str, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "COPRODUCE_DEBUG": "0",
        "COPRODUCE_HTTPS": "0",
        "COPRODUCE_SECRET_KEY": "bench-" + "k" * 60,
        "COPRODUCE_EMAIL_HOST": "127.0.0.1",
        "COPRODUCE_RATE_LIMITS": "0",
        "COPRODUCE_DATA_DIR": data,
        "DJANGO_SETTINGS_MODULE": "coproduce.settings",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        check=True,
        timeout=60,
        capture_output=True,
    )


def postgres_available() -> bool:
    try:
        _psql("select 1")
    except (OSError, subprocess.SubprocessError):
        return False
    return True


@contextmanager
def prepared_site(database: str, pages: int) -> Iterator[tuple[dict[str, str], dict[str, float]]]:
    """A data folder (and database) seeded with `pages` pages; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="coproduce-bench-") as data:
        database_url = None
        name = f"coproduce_bench_{os.getpid()}_{pages}"
        if database == "postgresql":
            _psql(f"DROP DATABASE IF EXISTS {name}")
            _psql(f"CREATE DATABASE {name}")
            database_url = PG_URL + name
        try:
            env = _env(data, database_url)
            subprocess.run([COPRODUCE, "collectstatic", "--noinput", "-v0"], env=env, check=True, timeout=300)
            subprocess.run([COPRODUCE, "migrate", "-v0"], env=env, check=True, timeout=300)
            out = subprocess.run(
                [sys.executable, "-m", "bench.wiki_load", "seed", str(pages)],
                env=env,
                cwd=ROOT,
                check=True,
                timeout=3600,
                capture_output=True,
                text=True,
            ).stdout
            timings = json.loads(out.strip().splitlines()[-1])
            yield env, timings
        finally:
            if database_url:
                _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def running_server(env: dict[str, str], workers: int) -> Iterator[tuple[str, int]]:
    port = _free_port()
    log = Path(env["COPRODUCE_DATA_DIR"]) / f"serve-{port}.log"
    process = subprocess.Popen(
        [COPRODUCE, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        start_new_session=True,  # its own process group, so the workers are stopped with it
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the server did not start within 120 s; its log ends:\n{tail}")
            time.sleep(0.1)
        time.sleep(1.0 if workers > 1 else 0.1)  # let every worker finish importing
        yield base, process.pid
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def log_in(base: str) -> str:
    """Log in through the allauth form as the seeded member; returns the cookies a browser would send.

    That is the session and the CSRF cookie: without the latter, every page with a form would set
    a new one, which no browser does after its first page.
    """
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/accounts/login/", timeout=10) as response:
        html = response.read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the log-in page")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1), "login": MEMBER, "password": PASSWORD}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + "/accounts/login/", data=form, headers={"Referer": base + "/"}
    )
    with opener.open(request, timeout=10) as response:
        response.read()
    cookies = {cookie.name: cookie.value for cookie in jar if cookie.value}
    if "sessionid" not in cookies:
        raise RuntimeError("logging in gave no session cookie")
    return "; ".join(f"{name}={value}" for name, value in sorted(cookies.items()))


def create_token(env: dict[str, str]) -> str:
    out = subprocess.run(
        [COPRODUCE, "token", "create", FACILITATOR, "--name", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stdout.strip()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unexpected latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


# Each request asks for the address with a query parameter no other request used (`n`, which the
# views ignore), so nothing is answered from a copy made for an earlier request: what a member's
# first view of a page costs.
FRESH_ADDRESS_SCRIPT = """
local n = 0
request = function()
  n = n + 1
  local path = wrk.path
  local glue = string.find(path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, path .. glue .. "n=" .. tostring(math.random(1, 1000000000)) .. "-" .. n)
end
"""


def run_wrk(wrk: str, url: str, *, duration: int, headers: list[str], fresh: bool = False) -> Result:
    command = [wrk, "-t2", f"-c{CONCURRENCY}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    for header in headers:
        command += ["-H", header]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if fresh:
            script.write(FRESH_ADDRESS_SCRIPT)
            script.flush()
            command += ["-s", script.name]
        out = subprocess.run(
            [*command, url], check=True, capture_output=True, text=True, timeout=duration + 60
        ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return Result(rps, p50, p99, errors)


def _status(base: str, path: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def run_saves(base: str, token: str, slug: str, count: int = 100) -> Result:
    """`count` sequential API saves of one page on a keep-alive connection, each on the latest revision."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    path = f"/api/v1/spaces/{MEMBERS}/pages/{slug}"
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    page = json.loads(response.read())
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}: {page}")
    body, revision = page["body"], page["revision"]
    times: list[float] = []
    errors = 0
    started = time.perf_counter()
    for n in range(count):
        body += f"\nEdit {n} of the benchmark: {WORDS[n % len(WORDS)]}.\n"
        payload = json.dumps({"body": body, "base_revision": revision, "summary": f"bench {n}"})
        t = time.perf_counter()
        connection.request("PUT", path, body=payload, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        times.append((time.perf_counter() - t) * 1000)
        if response.status == 200:
            revision = json.loads(answer)["revision"]
        else:
            errors += 1
        if time.perf_counter() - started > 120:
            break
    connection.close()
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return Result(len(times) / (time.perf_counter() - started), statistics.median(times), p99, errors)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found.append(int(child))
            found.extend(_children(int(child)))
    return found


def memory_mb(pid: int) -> list[tuple[int, str, float]]:
    """(pid, command, VmRSS in MB) of the server and every process under it."""
    rows = []
    for each in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{each}/status").read_text()
            command = Path(f"/proc/{each}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            rows.append((each, command[:60], int(match.group(1)) / 1024))
    return rows


def measure(
    wrk: str, env: dict[str, str], *, database: str, pages: int, workers: int, runs: int, duration: int
) -> tuple[list[Row], list[tuple[int, str, float]]]:
    slug_public = urllib.parse.quote(_slug(min(pages, REAL_CREATES) - 2 if pages > 2 else 0))
    slug_members = urllib.parse.quote(_slug(pages - 1 if (pages - 1) % 2 else pages - 2))
    with running_server(env, workers) as (base, pid):
        cookie = f"Cookie: {log_in(base)}"
        token = create_token(env)
        scenarios = [
            ("page view, anonymous", f"/spaces/{PUBLIC}/wiki/{slug_public}/", [], False),
            ("page view, logged in", f"/spaces/{MEMBERS}/wiki/{slug_members}/", [cookie], False),
            ("page view, logged in, first", f"/spaces/{MEMBERS}/wiki/{slug_members}/", [cookie], True),
            (f"/search?q={SEARCH_WORD}", f"/search?q={SEARCH_WORD}", [cookie], False),
            (f"/search?q={SEARCH_WORD}, first", f"/search?q={SEARCH_WORD}", [cookie], True),
            (
                f"/api/v1/search?q={SEARCH_WORD}",
                f"/api/v1/search?q={SEARCH_WORD}",
                [f"Authorization: Bearer {token}"],
                False,
            ),
            (
                f"/api/v1/search?q={SEARCH_WORD}, first",
                f"/api/v1/search?q={SEARCH_WORD}",
                [f"Authorization: Bearer {token}"],
                True,
            ),
        ]
        rows = []
        for label, path, headers, fresh in scenarios:
            row = Row(database, pages, workers, label)
            status = _status(base, path, dict(h.split(": ", 1) for h in headers))
            row.note = f"load avg {os.getloadavg()[0]:.1f}"  # other work on the machine skews figures
            if status != 200:
                row.note += f"; answers {status}"
            # Unmeasured: fills the caches the scenario relies on, and lets the server finish what
            # the previous scenario left queued, which would otherwise land in this one's first run.
            run_wrk(wrk, base + path, duration=WARM_UP_SECONDS, headers=headers, fresh=fresh)
            for _ in range(runs):
                row.runs.append(run_wrk(wrk, base + path, duration=duration, headers=headers, fresh=fresh))
            rows.append(row)
            print(_format(row), flush=True)
        time.sleep(WARM_UP_SECONDS)  # the last load's queued requests finished
        save = Row(database, pages, workers, "save (sequential PUT)")
        save.runs.append(run_saves(base, token, urllib.parse.unquote(slug_members)))
        rows.append(save)
        print(_format(save), flush=True)
        return rows, memory_mb(pid)


def _slug(n: int) -> str:
    return _title(n).lower().replace(" ", "-")


HEADER = (
    f"{'database':<10} {'pages':>6} {'W':>2}  {'scenario':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'errors':>6}  note"
)


def _format(row: Row) -> str:
    rps = statistics.median(r.rps for r in row.runs)
    p50 = statistics.median(r.p50_ms for r in row.runs)
    p99 = statistics.median(r.p99_ms for r in row.runs)
    errors = sum(r.errors for r in row.runs)
    return (
        f"{row.database:<10} {row.pages:>6} {row.workers:>2}  {row.scenario:<34} {rps:>8.0f} {p50:>8.1f} "
        f"{p99:>8.1f} {errors:>6}  {row.note}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench wiki", description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, nargs="+", default=[2], help="worker counts to try")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument(
        "--site",
        metavar="DATA_DIR",
        help="measure a SQLite data folder seeded before (with `python -m bench.wiki_load seed N` and "
        "the environment of this benchmark) instead of seeding new ones; give its N as --pages",
    )
    args = parser.parse_args(argv)
    wrk = _ensure_wrk()
    databases = [d for d in args.databases if d != "postgresql" or postgres_available()]
    rows: list[Row] = []

    def measure_site(env: dict[str, str], database: str, pages: int) -> None:
        print(HEADER, flush=True)
        for workers in args.workers:
            measured, memory = measure(
                wrk,
                env,
                database=database,
                pages=pages,
                workers=workers,
                runs=args.runs,
                duration=args.duration,
            )
            rows.extend(measured)
            for pid, command, mb in memory:
                print(f"   memory after load, W={workers}: pid {pid} {mb:.0f} MB  {command}", flush=True)

    if args.site:
        databases = []
        print(f"\n== sqlite, {args.pages[0]} pages, seeded before in {args.site}", flush=True)
        measure_site(_env(args.site, None), "sqlite", args.pages[0])
    for database in databases:
        for pages in args.pages:
            print(f"\n== {database}, {pages} pages: seeding ...", flush=True)
            started = time.perf_counter()
            with prepared_site(database, pages) as (env, timings):
                print(
                    f"   seeded in {time.perf_counter() - started:.1f} s (collectstatic + migrate + seed; "
                    f"{timings['real_creates']} page_create {timings['real_s']:.1f} s, "
                    f"bulk {timings['bulk_s']:.1f} s, reindex {timings['reindex_s']:.1f} s)",
                    flush=True,
                )
                measure_site(env, database, pages)
    print(f"\nSummary (medians of {args.runs} runs of {args.duration} s, {CONCURRENCY} connections):")
    print(HEADER)
    for row in rows:
        print(_format(row))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "seed":
        seed(int(sys.argv[2]))
    else:
        main(sys.argv[1:])
