"""Start-up time and memory of one `coproduce serve` process, on a fresh SQLite database with the demo.

For each run: start `coproduce serve --demo` on a free loopback port with a new data folder, time until
/health answers, request the home page and the API 50 times each, then read the process's resident memory
(VmRSS, VmHWM) from /proc. Prints the median of the runs.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

COPRODUCE = str(Path(sys.executable).with_name("coproduce"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        response.read()
        return int(response.status)


def _memory_kb(pid: int) -> tuple[int, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def one_run(*, fresh: bool) -> tuple[float, float, int, int]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ,
            # Production mode, as deployed, but over plain HTTP on loopback.
            "COPRODUCE_DEBUG": "0",
            "COPRODUCE_HTTPS": "0",
            "COPRODUCE_SECRET_KEY": "bench-" + "k" * 60,
            "COPRODUCE_EMAIL_HOST": "127.0.0.1",
            "COPRODUCE_DATA_DIR": data,
            "COPRODUCE_DEMO_PASSWORD": "x" * 16,
        }
        for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"):
            env.pop(name, None)
        subprocess.run([COPRODUCE, "collectstatic", "--noinput", "-v0"], env=env, check=True)
        if not fresh:
            subprocess.run([COPRODUCE, "migrate", "-v0"], env=env, check=True)
            subprocess.run([COPRODUCE, "demo"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        process = subprocess.Popen(
            [COPRODUCE, "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            while True:
                try:
                    if _get(base + "/health") == 200:
                        break
                except OSError:
                    if time.perf_counter() - started > 120:
                        raise RuntimeError("server did not start in 120 s") from None
                    time.sleep(0.02)
            ready = time.perf_counter() - started
            request_times = []
            for _ in range(50):
                t = time.perf_counter()
                _get(base + "/")
                request_times.append(time.perf_counter() - t)
                _get(base + "/api/v1/spaces")
            rss, peak = _memory_kb(process.pid)
            return ready, statistics.median(request_times), rss, peak
        finally:
            process.terminate()
            process.wait(timeout=10)


def main(runs: int = 5) -> None:
    for fresh in (True, False):
        results = [one_run(fresh=fresh) for _ in range(runs)]
        label = "empty database (migrate + load demo)" if fresh else "database already migrated"
        print(f"coproduce serve, {label}, {runs} runs:")
        print(f"  start-up to first /health answer: median {statistics.median(r[0] for r in results):.2f} s")
        print(f"  home page round trip: median {statistics.median(r[1] for r in results) * 1000:.1f} ms")
        print(
            "  resident memory after 100 requests: "
            f"median {statistics.median(r[2] for r in results) / 1024:.0f} MB"
            f" (peak {statistics.median(r[3] for r in results) / 1024:.0f} MB)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
