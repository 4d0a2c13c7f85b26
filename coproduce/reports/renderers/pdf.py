"""The PDF edition: the HTML edition laid out by WeasyPrint as a tagged PDF/UA-1 document.

Document language and title come from <html lang> and <title>; the running header, "Page X of Y",
page numbers in the contents and the bookmarks from the print rules of the stylesheet. Nothing is
fetched: the URL fetcher refuses everything but data: URIs (the images in sections).
"""

from __future__ import annotations

from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

from coproduce.reports.frozen import FrozenEdition
from coproduce.reports.renderers.html import document


def render_pdf(edition: FrozenEdition) -> bytes:
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
    page = HTML(string=document(edition), base_url=None, url_fetcher=fetcher, media_type="print")
    pdf = page.write_pdf(pdf_variant="pdf/ua-1")
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf returns bytes without a target
        raise TypeError("WeasyPrint returned no PDF")
    return pdf
