"""`coproduce scan [FILE]`: JSON lines out, exit 0 / 1 / 2, never the patient data itself."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

COPRODUCE = Path(sys.executable).parent / "coproduce"
ROOT = Path(__file__).resolve().parents[3]
UNSAFE = "Minutes\nNHS number 999 000 0018, ring 07700 900123\nAda Lovelace DOB 15/05/1961\n"
SAFE = "Order ref 1234567890; the masterclass was on 15 May 2008.\n"


def _run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """Run the installed command with the test settings (importable from the repository root)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [str(COPRODUCE), "scan", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )


def _scan(*args: str) -> tuple[int, list[dict[str, object]]]:
    out = io.StringIO()
    try:
        call_command("scan", *args, stdout=out)
        code = 0
    except SystemExit as exit_:
        code = int(str(exit_.code))
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_scanning_a_file_prints_each_finding_as_a_json_line_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "minutes.txt"
    path.write_text(UNSAFE, encoding="utf-8")
    code, lines = _scan(str(path))
    assert code == 1
    assert lines == [
        {"kind": "nhs_number", "start": 19, "end": 31, "line": 2, "column": 12},
        {"kind": "phone_number", "start": 38, "end": 50, "line": 2, "column": 31},
        {"kind": "patient_name", "start": 51, "end": 63, "line": 3, "column": 1},
        {"kind": "date_of_birth", "start": 68, "end": 78, "line": 3, "column": 18},
    ]
    assert UNSAFE[19:31] == "999 000 0018"


def test_scanning_never_prints_the_text_it_found(tmp_path: Path) -> None:
    path = tmp_path / "minutes.txt"
    path.write_text(UNSAFE, encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("scan", str(path), stdout=out)
    assert "0018" not in out.getvalue()
    assert "900123" not in out.getvalue()
    assert "1961" not in out.getvalue()


def test_scanning_a_clean_file_prints_nothing_and_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "clean.txt"
    path.write_text(SAFE, encoding="utf-8")
    assert _scan(str(path)) == (0, [])


def test_scanning_standard_input_when_no_file_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(UNSAFE.encode())))
    code, lines = _scan()
    assert code == 1
    assert [line["kind"] for line in lines] == ["nhs_number", "phone_number", "patient_name", "date_of_birth"]


def test_a_dash_means_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SAFE.encode())))
    assert _scan("-") == (0, [])


def test_a_missing_file_is_an_error_with_exit_status_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"cannot read .*missing\.txt") as raised:
        call_command("scan", str(tmp_path / "missing.txt"))
    assert raised.value.returncode == 2


def test_text_that_is_not_utf_8_is_an_error_with_exit_status_2(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café 999 000 0018".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8") as raised:
        call_command("scan", str(path))
    assert raised.value.returncode == 2


def test_the_installed_command_exits_0_1_and_2(tmp_path: Path) -> None:
    clean = _run(stdin=SAFE.encode())
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, b"", b"")

    found = _run(stdin=UNSAFE.encode())
    assert found.returncode == 1
    assert [json.loads(line)["kind"] for line in found.stdout.splitlines()] == [
        "nhs_number",
        "phone_number",
        "patient_name",
        "date_of_birth",
    ]

    missing = _run(str(tmp_path / "missing.txt"))
    assert missing.returncode == 2
    assert missing.stdout == b""
    assert len(missing.stderr.decode().strip().splitlines()) == 1
    assert b"Traceback" not in missing.stderr


def test_the_installed_command_refuses_undecodable_input_in_one_line() -> None:
    bad = _run(stdin=b"NHS \xff\xfe 999 000 0018")
    assert bad.returncode == 2
    assert bad.stderr.decode().strip() == (
        "CommandError: standard input is not UTF-8 text (undecodable byte at offset 4)"
    )
