"""Serving an edition's files, for the web pages and the API alike.

Nothing is served before the edition is ready. The HTML edition is served inline under the site's
policy plus a hash of each <style> it carries (and no script at all); PDF and DOCX as downloads. A
ready edition whose file went missing from storage is rendered again from its snapshot
(`services.edition_rebuild_missing`) and `FileMissing` tells the caller to ask the reader to come back.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils.csp import CSP, build_policy
from django.utils.text import slugify

from coproduce.reports import services
from coproduce.reports.models import Edition

logger = logging.getLogger(__name__)

FORMATS = {
    "html": ("html_file", "text/html; charset=utf-8"),
    "pdf": ("pdf_file", "application/pdf"),
    "docx": ("docx_file", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
RETRY_AFTER_SECONDS = 60
_STYLE = re.compile(rb"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)


class FileMissing(Exception):
    """A ready edition's file is gone from storage; it is being rendered again."""

    def __init__(self, edition: Edition) -> None:
        super().__init__(f"Edition {edition.number} of paper {edition.paper_id}: a file is missing")
        self.edition = edition


def with_inline_styles(response: HttpResponse, document: bytes) -> HttpResponse:
    """Serve a standalone paper: the site's policy, plus exactly the <style> elements it carries
    (by hash). Set on the response, so the CSP middleware leaves it as it is."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(css).digest()).decode("ascii") + "'"
        for css in _STYLE.findall(document)
    ]
    policy: dict[str, Any] = {
        **settings.SECURE_CSP,
        "style-src": [CSP.SELF, *hashes],
        "script-src": [CSP.NONE],
    }
    response.headers[str(CSP.HEADER_ENFORCE)] = build_policy(policy)
    return response


def edition_file_response(edition: Edition, fmt: str) -> HttpResponse | FileResponse:
    """The file of a ready edition in `fmt` (html, pdf, docx); Http404 for anything else."""
    if fmt not in FORMATS:
        raise Http404("No such format.")
    field_name, content_type = FORMATS[fmt]
    stored = getattr(edition, field_name)
    if edition.status != Edition.Status.READY or not stored:
        raise Http404("This edition is not ready.")
    filename = f"{slugify(edition.paper.title)[:80] or 'paper'}-edition-{edition.number}.{fmt}"
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        logger.error(
            "Edition %s of paper %s: a file is missing from storage", edition.number, edition.paper_id
        )
        services.edition_rebuild_missing(edition=edition)
        raise FileMissing(edition) from None
    if fmt == "html":
        with handle:
            document = handle.read()
        response = HttpResponse(document, content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return with_inline_styles(response, document)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
