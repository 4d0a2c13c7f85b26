"""Briefing paper rendering benchmark: a 50-section paper with 500 sources to PDF and to DOCX.

`.venv/bin/python -m bench.paper [--runs 5] [--sections 50] [--sources 500]`

No database: the paper is a `FrozenEdition` built here (about 400 words per section in paragraphs,
a list, a sub-heading, a table in every fifth section and a small PNG in every tenth, ten citations
per section; 40 named contributors and 7 unnamed). Each run is a fresh subprocess that imports the
renderers, notes its resident memory, then times one render (cold: the first in the process, as
in a worker that renders an edition now and then), with `--warm` a second one, and reports its
peak RSS (`ru_maxrss`, start-up included). With `--trace`, a last subprocess per format runs under
`tracemalloc` for the peak of Python allocations (not timed).
Targets (issue 5): PDF < 5 s, DOCX < 2 s (medians).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"pdf": 5.0, "docx": 2.0}
WORDS = [
    "staff",
    "patients",
    "social",
    "media",
    "guidance",
    "trust",
    "policy",
    "privacy",
    "consent",
    "network",
    "community",
    "clinical",
    "teams",
    "share",
    "learning",
    "risk",
    "benefit",
    "communication",
    "public",
    "online",
    "professional",
    "support",
    "evidence",
]


def _png(width: int = 120, height: int = 60) -> bytes:
    raw = b"".join(b"\x00" + bytes([30, 80, 160]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _sentence(seed: int, length: int = 16) -> str:
    words = [WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(length)]
    return " ".join(words).capitalize() + "."


def build_edition(sections: int = 50, sources: int = 500) -> Any:
    from coproduce.reports.frozen import Credit, FrozenEdition, FrozenSection, FrozenSource

    image = "data:image/png;base64," + base64.b64encode(_png()).decode()
    per_section = max(sources // max(sections, 1), 1)
    frozen_sections = []
    for n in range(1, sections + 1):
        labels = tuple(range((n - 1) * per_section + 1, min(n * per_section, sources) + 1))
        cites = [f'<a class="citation" href="#source-{label}">[S{label}]</a>' for label in labels]
        paragraphs = [
            f"<p>{_sentence(n + i)} {_sentence(n * i + 1)} <strong>{_sentence(i, 5)}</strong> "
            f"{_sentence(n + i + 2)} {' '.join(cites[i::5])}</p>"
            for i in range(5)
        ]
        body = "".join(paragraphs[:3])
        body += (
            f"<h2>Detail {n}</h2><ul>"
            + "".join(f"<li>{_sentence(n + k, 8)}</li>" for k in range(4))
            + "</ul>"
        )
        body += "".join(paragraphs[3:])
        if n % 5 == 0:
            rows = "".join(
                f"<tr><td>Item {r}</td><td>{r * n}</td><td>{_sentence(r, 4)}</td></tr>" for r in range(6)
            )
            head = "<thead><tr><th>Item</th><th>Count</th><th>Note</th></tr></thead>"
            body += f"<table>{head}<tbody>{rows}</tbody></table>"
        if n % 10 == 0:
            body += f'<p><img src="{image}" alt="Figure {n}"></p>'
        kind = "contributors" if n == sections else "text"
        frozen_sections.append(
            FrozenSection(f"section-{n}", f"Section {n}: {_sentence(n, 4)[:-1]}", kind, body, labels)
        )
    frozen_sources = tuple(
        FrozenSource(
            label=label,
            kind=("page", "comment", "outcome")[label % 3],
            kind_label=("Wiki page", "Comment", "Discussion outcome")[label % 3],
            title=f"Contribution {label}: {_sentence(label, 5)[:-1]}",
            excerpt=_sentence(label, 30),
            url=f"https://coproduce.example/spaces/bench/pages/page-{label}/revisions/{label % 9 + 1}/",
            revision=label % 9 + 1,
            contributed_at="2026-11-01T10:00:00+00:00",
        )
        for label in range(1, sources + 1)
    )
    roles = ("facilitator", "editor", "contributor", "reviewer")
    credits = tuple(Credit(f"Person {i} Example, Trust {i % 7}", roles[min(i, 3)], i) for i in range(40))
    return FrozenEdition(
        title="The power and perils of using social networking tools in the NHS",
        number=1,
        version="1.0",
        published_at="2026-11-24T12:00:00+00:00",
        published_on="24 November 2026",
        space_name="Masterclass",
        community_name="NHS Social Media Community",
        licence="Open Government Licence v3.0",
        licence_url="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        how_to_cite="Example P. et al. (2026). The power and perils of using social networking tools.",
        url="https://coproduce.example/spaces/masterclass/papers/1/editions/1/",
        sections=tuple(frozen_sections),
        sources=frozen_sources,
        credits=credits,
        unnamed_count=7,
    )


def _load() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` shows them."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(fmt: str, sections: int, sources: int, trace: bool, second: bool) -> None:
    """In a fresh process: render `fmt` twice and print the figures as JSON."""
    from coproduce.reports.renderers import render_docx, render_pdf

    render = {"pdf": render_pdf, "docx": render_docx}[fmt]
    edition = build_edition(sections, sources)
    before = _rss_mb()
    if trace:
        tracemalloc.start()
        render(edition)
        print(json.dumps({"traced_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20}))
        return
    start, cpu_start = time.perf_counter(), time.process_time()
    data = render(edition)
    cold, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    warm = 0.0
    if second:
        start = time.perf_counter()
        render(edition)
        warm = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    extra: dict[str, Any] = {}
    if fmt == "pdf":
        with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
            file.write(data)
            file.flush()
            info = subprocess.run(["pdfinfo", file.name], capture_output=True, text=True, check=False).stdout
        extra["pages"] = next(
            (line.split()[1] for line in info.splitlines() if line.startswith("Pages:")), "?"
        )
    print(
        json.dumps(
            {
                "cold": cold,
                "cpu": cpu,
                "warm": warm,
                "rss_before_mb": before,
                "peak_mb": peak,
                "bytes": len(data),
            }
            | extra
        )
    )


def _run_child(fmt: str, args: argparse.Namespace, trace: bool = False) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.paper", "--child", fmt]
    command += ["--sections", str(args.sections), "--sources", str(args.sources)]
    if trace:
        command.append("--trace")
    if args.warm:
        command.append("--warm")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{fmt} render failed:\n{result.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.paper")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sections", type=int, default=50)
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--child", choices=["pdf", "docx"], help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help="also a tracemalloc run per format (slow)")
    parser.add_argument("--warm", action="store_true", help="also time a second render in each process")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.sections, args.sources, args.trace, args.warm)
        return
    print(
        f"Paper: {args.sections} sections, {args.sources} sources; "
        f"{args.runs} runs per format, each in a fresh process; load average {_load()} "
        f"on {os.cpu_count()} CPUs"
    )
    summary = []
    for fmt in ("pdf", "docx"):
        runs = []
        for n in range(args.runs):
            figures = _run_child(fmt, args)
            runs.append(figures)
            pages = f", {figures['pages']} pages" if "pages" in figures else ""
            print(
                f"  {fmt} run {n + 1}: {figures['cold']:.2f} s (CPU {figures['cpu']:.2f} s)"
                + (f" (second render {figures['warm']:.2f} s)" if args.warm else "")
                + ", "
                f"peak RSS {figures['peak_mb']:.0f} MB (after imports {figures['rss_before_mb']:.0f} MB), "
                f"{figures['bytes'] / 1024:.0f} KB{pages}",
                flush=True,
            )
        traced = _run_child(fmt, args, trace=True)["traced_peak_mb"] if args.trace else None
        cold = statistics.median(r["cold"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        warm = f"{statistics.median(r['warm'] for r in runs):.2f} s" if args.warm else "-"
        peak = statistics.median(r["peak_mb"] for r in runs)
        base = statistics.median(r["rss_before_mb"] for r in runs)
        verdict = "met" if cold < TARGETS[fmt] else "NOT met"
        summary.append(
            f"| {fmt.upper()} | < {TARGETS[fmt]:.0f} s | {cold:.2f} s | {cpu:.2f} s | {warm} | {peak:.0f} MB "
            f"({base:.0f} MB after imports) | {'-' if traced is None else f'{traced:.0f} MB'} | {verdict} |"
        )
    print(f"Load average after: {_load()} (a busy machine inflates every figure: compare medians)")
    print()
    print("| format | target | median | median CPU time | second render | peak RSS | tracemalloc peak | |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
