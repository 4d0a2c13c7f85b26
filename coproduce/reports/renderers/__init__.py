"""Pure renderers: a `FrozenEdition` in, the bytes of one format out. No database, no network.

    from coproduce.reports.renderers import render_html, render_pdf, render_docx

`PAPER_CSS` is the exact text of the HTML edition's <style> element (for the CSP hash).
"""

from coproduce.reports.renderers.css import PAPER_CSS
from coproduce.reports.renderers.docx import render_docx
from coproduce.reports.renderers.html import render_html
from coproduce.reports.renderers.pdf import render_pdf

__all__ = ["PAPER_CSS", "render_docx", "render_html", "render_pdf"]
