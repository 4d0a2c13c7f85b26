"""Text extraction from hostile and ordinary uploads: time and peak Python memory per file.

    .venv/bin/python -m bench.extract [--runs 5]

Prints, for each file, its size, what `coproduce.wiki.extract.extract` did (characters found or
the refusal's code), the median wall time and the median peak of memory allocated by Python
(tracemalloc) while extracting. Not a test: figures are for people to read.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from typing import Any

import django

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx(document_xml: str, level: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=level, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document_xml)
    return out.getvalue()


def _body(inner: str) -> str:
    return f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>{inner}</w:body></w:document>'


def _laughs() -> bytes:
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    return _docx(
        f'<?xml version="1.0"?><!DOCTYPE d [{entities}]>' + _body("<w:p><w:r><w:t>&a9;</w:t></w:r></w:p>")
    )


def _paragraphs(count: int) -> bytes:
    return _docx(
        _body("".join(f"<w:p><w:r><w:t>Paragraph {i} of the notes.</w:t></w:r></w:p>" for i in range(count)))
    )


def _pdf(pages: int) -> bytes:
    import weasyprint  # type: ignore[import-untyped]  # (publishes no type information)

    text = "The powers and the perils of social networking tools in the NHS. " * 40
    html = "".join(f'<p style="page-break-after: always">{text}</p>' for _ in range(pages))
    data: bytes = weasyprint.HTML(string=f"<html><body>{html}</body></html>").write_pdf()
    return data


def _outcome(extract: Any, data: bytes, content_type: str) -> str:
    try:
        found = extract.extract(io.BytesIO(data), content_type)
    except extract.Refused as refused:
        return f"refused: {refused.code}"
    return f"{len(found.text):,} characters"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    django.setup()
    from coproduce.wiki import extract

    docx, pdf = extract.DOCX, extract.PDF
    cases: list[tuple[str, Callable[[], bytes], str]] = [
        ("3,000,000 empty paragraphs (deflated)", lambda: _docx(_body("<w:p/>" * 3_000_000)), docx),
        (
            "300,000 empty paragraphs (stored)",
            lambda: _docx(_body("<w:p/>" * 300_000), zipfile.ZIP_STORED),
            docx,
        ),
        ("billion laughs", _laughs, docx),
        (
            "external entity",
            lambda: _docx('<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'),
            docx,
        ),
        ("ordinary, 20,000 paragraphs", lambda: _paragraphs(20_000), docx),
        ("PDF, 50 pages of text", lambda: _pdf(50), pdf),
    ]
    for label, build, content_type in cases:
        data = build()
        times, outcome = [], ""
        for _ in range(runs):
            started = time.perf_counter()
            outcome = _outcome(extract, data, content_type)
            times.append(time.perf_counter() - started)
        tracemalloc.start()  # once, apart: tracing slows Python down many times over
        _outcome(extract, data, content_type)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"{label:40} {len(data) / 1024:9.0f} KB  {outcome:28} "
            f"median {statistics.median(times) * 1000:8.1f} ms  peak {peak / 1e6:6.1f} MB"
        )


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coproduce.settings")
    main()
