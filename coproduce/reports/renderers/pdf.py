"""The PDF edition: the HTML edition laid out by WeasyPrint as a tagged PDF/UA-1 document.

Document language and title come from <html lang> and <title>; the running header, "Page X of Y",
page numbers in the contents and the bookmarks from the print rules of the stylesheet. Nothing is
fetched: the URL fetcher refuses everything but data: URIs (the images in sections).

The cyclic garbage collector is paused while WeasyPrint works: it builds a graph of millions of
long-lived objects (boxes, styles, PDF objects), and each full collection the growing graph sets off
walks all of it again (about a tenth of the time of a 100-page paper). The objects made during the
render are then collected in one pass of the youngest generation, before the collector is resumed,
so the render still pays for its own garbage.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

from coproduce.reports.frozen import FrozenEdition
from coproduce.reports.renderers.html import document


def render_pdf(edition: FrozenEdition) -> bytes:
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
    with _collector_paused():
        page = HTML(string=document(edition), base_url=None, url_fetcher=fetcher, media_type="print")
        pdf = page.write_pdf(pdf_variant="pdf/ua-1")
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf returns bytes without a target
        raise TypeError("WeasyPrint returned no PDF")
    return pdf


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic GC, then collect what the block left (all of it in generation 0) and resume.

    Left alone when the collector is already off (by the host, or by a render running at the same time
    in another thread, which resumes it when it ends)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.collect(0)
        gc.enable()
