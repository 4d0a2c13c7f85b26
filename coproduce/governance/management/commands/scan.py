"""`coproduce scan [FILE]`: run the patient-identifiable-data guard on a file or standard input.

Prints one JSON line per finding, {"kind", "start", "end", "line", "column"} (offsets count
characters from 0, line and column from 1), never the text found: that is the patient data.
Exits 0 when nothing is found, 1 when something is, 2 on an error (with one line on stderr).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coproduce.governance.safety import Finding, scan

EXIT_FINDINGS = 1
EXIT_ERROR = 2


class Command(BaseCommand):
    help = "Find patient-identifiable data in FILE (or standard input); print findings as JSON lines."
    requires_system_checks: list[str] = []  # a text filter: no database, no checks
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", help="UTF-8 text file to scan; standard input when absent or -"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text = _read(options["file"])
        findings = scan(text)
        try:
            for line in _json_lines(text, findings):
                self.stdout.write(line)
            self.stdout.flush()
        except BrokenPipeError:  # `coproduce scan notes.txt | head -1`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if findings:
            raise SystemExit(EXIT_FINDINGS)


def _read(name: str | None) -> str:
    where = "standard input" if name in (None, "-") else name
    try:
        data = _read_stdin() if name in (None, "-") else Path(str(name)).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {where}: {error.strerror or error}", returncode=EXIT_ERROR) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CommandError(
            f"{where} is not UTF-8 text (undecodable byte at offset {error.start})", returncode=EXIT_ERROR
        ) from None


def _read_stdin() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise OSError(0, "there is no standard input")
    data: bytes = stream.read()
    return data


def _json_lines(text: str, findings: list[Finding]) -> Iterator[str]:
    """One JSON object per finding, with its line and column counted once through the text."""
    line, line_start, counted_to = 1, 0, 0
    for finding in findings:  # in order of start
        line += text.count("\n", counted_to, finding.start)
        line_start = max(line_start, text.rfind("\n", counted_to, finding.start) + 1)
        counted_to = finding.start
        yield json.dumps(
            {
                "kind": finding.kind,
                "start": finding.start,
                "end": finding.end,
                "line": line,
                "column": finding.start - line_start + 1,
            }
        )
