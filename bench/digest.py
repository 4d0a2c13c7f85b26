"""Daily digest benchmark: one digest e-mail to each of N members (default 10,000), on SQLite.

1. A temporary data folder and SQLite database in production mode; `migrate`, then seeding in a
   subprocess: N members (bulk-created, unusable passwords), three spaces, 40 audit entries and
   3 to 5 pending daily notifications per member spread over 2 or 3 spaces.
2. `--runs` times, in a fresh subprocess each (so its peak memory is the sending's own): mark every
   notification unsent, then time `coproduce.notifications.services.digest_send(frequency="daily")`
   with the file e-mail backend (or locmem with `--backend locmem`), counting queries and reading
   the process's peak resident memory (`resource.getrusage(...).ru_maxrss`).
3. One more run under `tracemalloc` for the peak of Python allocations (slower: not timed).

Prints each run, then the medians. Run: `.venv/bin/python -m bench.digest [--members 10000] [--runs 3]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPACES = [("bench-public", "Bench public", "public"), ("bench-members", "Bench members", "members")]
SPACES += [("bench-workshop", "Bench workshop", "members")]
ENTRIES = 40


def _env(data: str, backend: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        COPRODUCE_DEBUG="0",
        COPRODUCE_HTTPS="0",
        COPRODUCE_SECRET_KEY="bench-" + "k" * 60,
        COPRODUCE_DATA_DIR=data,
        COPRODUCE_EMAIL_BACKEND=f"django.core.mail.backends.{backend}.EmailBackend",
        COPRODUCE_EMAIL_FILE_PATH=str(Path(data) / "mail"),
        COPRODUCE_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="coproduce.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


# --- in the subprocesses (Django set up) -----------------------------------------------------


def seed(members: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from coproduce.accounts.models import User
    from coproduce.communities.models import Space
    from coproduce.governance.models import AuditEntry
    from coproduce.notifications.models import Kind, Notification

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(42)
    now = timezone.now()
    with transaction.atomic():
        spaces = [Space.objects.create(slug=s, name=n, visibility=v) for s, n, v in SPACES]
        names = {space.pk: space.name for space in spaces}
        entries = AuditEntry.objects.bulk_create(
            AuditEntry(action="page.save", target_type="wiki.page", target_id=str(n), space=spaces[n % 3])
            for n in range(ENTRIES)
        )
    for start in range(0, members, 2000):
        with transaction.atomic():
            people = User.objects.bulk_create(
                User(
                    username=f"member{n:06d}",
                    email=f"member{n:06d}@example.nhs.uk",
                    name=f"Member {n:06d}",
                    password="!",  # noqa: S106 - an unusable password: nobody logs in
                    role="member",
                )
                for n in range(start, min(start + 2000, members))
            )
            rows = []
            for person in people:
                chosen = {spaces[i].pk for i in rng.sample(range(3), rng.choice([2, 3]))}
                candidates = [entry for entry in entries if entry.space_id in chosen]
                for entry in rng.sample(candidates, rng.randint(3, 5)):
                    rows.append(
                        Notification(
                            recipient=person,
                            kind=Kind.WATCHED,
                            entry=entry,
                            space_id=entry.space_id,
                            text=f"Someone edited “Topic {entry.target_id}” in {names[entry.space_id or 0]}",
                            url=f"/spaces/{spaces[0].slug}/wiki/topic-{entry.target_id}/",
                            frequency="daily",
                            created_at=now,
                        )
                    )
            Notification.objects.bulk_create(rows, batch_size=1000)
    count = Notification.objects.count()
    print(json.dumps({"seconds": time.perf_counter() - started, "notifications": count}))


def send(trace: bool) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from coproduce.notifications.models import Notification
    from coproduce.notifications.services import digest_send

    Notification.objects.update(emailed_at=None)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        sent = digest_send(frequency="daily", now=timezone.now())
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    result = {
        "sent": sent,
        "seconds": seconds,
        "queries": len(queries),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "maxrss_before_mb": before / 1024,
        "traced_peak_mb": peak / 1024 / 1024,
    }
    print(json.dumps(result))


# --- the driver --------------------------------------------------------------------------------


def _run(args: list[str], env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.digest", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.digest", description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=["filebased", "locmem"], default="filebased")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coproduce-digest-") as data:
        env = _env(data, args.backend)
        seeded = _run(["seed", str(args.members)], env)
        total, seconds = seeded["notifications"], seeded["seconds"]
        print(f"seeded {args.members:,} members, {total:,.0f} notifications in {seconds:.1f} s")
        runs = []
        for n in range(args.runs):
            result = _run(["send"], env)
            runs.append(result)
            print(
                f"run {n + 1}: {result['sent']:,.0f} e-mails in {result['seconds']:.1f} s "
                f"({result['sent'] / result['seconds']:,.0f}/s), {result['queries']:.0f} queries, "
                f"peak RSS {result['maxrss_mb']:.0f} MB (after start-up {result['maxrss_before_mb']:.0f} MB)",
                flush=True,
            )
        traced = _run(["send", "--trace"], env)
        seconds = statistics.median(r["seconds"] for r in runs)
        sent = runs[0]["sent"]
        print(
            f"\nmedian of {args.runs} runs ({args.backend} backend): {sent:,.0f} digests in {seconds:.1f} s, "
            f"{sent / seconds:,.0f} e-mails/s, {statistics.median(r['queries'] for r in runs):.0f} queries, "
            f"peak RSS {statistics.median(r['maxrss_mb'] for r in runs):.0f} MB; "
            f"tracemalloc peak {traced['traced_peak_mb']:.1f} MB (separate run, {traced['seconds']:.1f} s)"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "seed":
        seed(int(sys.argv[2]))
    elif len(sys.argv) >= 2 and sys.argv[1] == "send":
        send(trace="--trace" in sys.argv)
    else:
        main(sys.argv[1:])
