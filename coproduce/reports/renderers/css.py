"""The paper's one stylesheet, embedded in a <style> element of the HTML edition (no external CSS:
the lead serves it with a CSP hash for this exact text) and used by WeasyPrint for the PDF.

Print rules give the PDF its A4 pages, running header (the title, via string-set), "Page X of Y",
contents with page numbers (target-counter, right-aligned on a ruled line) and bookmarks (h2 sections,
h3 below them).

Print speed (WeasyPrint's time grows with the lines and boxes it lays out): the body text prints in
Liberation Serif (Times New Roman's metrics), which sets about 12% fewer lines than DejaVu Serif and
which HarfBuzz shapes faster; the margin boxes and the contents' page numbers have explicit widths,
or WeasyPrint measures their min- and max-content widths on every page (or for every entry).
Browsers ignore what they do not support (target-counter, string-set), so the same text also prints
sensibly from a browser.
"""

from __future__ import annotations

PAPER_CSS = """
:root { color-scheme: light; }
html { font-family: "DejaVu Serif", "Liberation Serif", Georgia, serif; font-size: 100%;
  line-height: 1.5; color: #0b0c0c; background: #fff; }
body { margin: 0 auto; max-width: 46rem; padding: 1.5rem; }
h1, h2, h3, h4, h5, h6 { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
  line-height: 1.25; margin: 1.5em 0 0.5em; }
h1 { font-size: 2rem; }
h2 { font-size: 1.5rem; }
h3 { font-size: 1.2rem; }
h4, h5, h6 { font-size: 1rem; }
a { color: #1d4f91; text-decoration: underline; }
a:focus { outline: 3px solid #fd0; background: #fd0; color: #0b0c0c; }
table { border-collapse: collapse; margin: 1rem 0; width: 100%; }
th, td { border: 1px solid #6f777b; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f2f1; }
img { max-width: 100%; height: auto; }
blockquote { border-left: 4px solid #b1b4b6; margin: 1rem 0; padding: 0 0 0 1rem; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; }
.draft-banner { border: 3px solid #d4351c; color: #942514; font-weight: bold; padding: 0.5rem 1rem;
  margin: 0 0 1rem; font-family: "DejaVu Sans", Arial, sans-serif; }
.title-page .kicker { text-transform: uppercase; letter-spacing: 0.05em; color: #505a5f; margin: 0; }
.title-page h1 { font-size: 2.4rem; margin-top: 0.3em; }
.title-page .edition, .title-page .place { font-size: 1.1rem; margin: 0.25rem 0; }
.title-page .credit-line { margin-top: 1.5rem; }
nav.contents ol { padding-left: 1.5rem; }
nav.contents li { margin: 0.2rem 0; }
ul.sources { list-style: none; padding: 0; }
ul.sources li { margin: 0 0 0.6rem; }
ul.sources a { overflow-wrap: anywhere; }
.how-to-cite { border-left: 4px solid #1d4f91; padding-left: 1rem; }
a.citation { font-size: 0.85em; }

@media print {
  @page {
    size: A4;
    margin: 25mm 20mm 22mm;
    @top-left { content: string(paper-title); font: 9pt "DejaVu Sans", sans-serif; color: #505a5f;
      width: 75%; text-align: left; }
    @top-right { content: string(paper-status); font: bold 9pt "DejaVu Sans", sans-serif; color: #942514;
      width: 25%; }
    @bottom-right { content: "Page " counter(page) " of " counter(pages);
      font: 9pt "DejaVu Sans", sans-serif; color: #505a5f; width: 50%; }
  }
  @page :first { @top-left { content: none; } @top-right { content: none; } }
  html { font-family: "Liberation Serif", "Times New Roman", "DejaVu Serif", serif; font-size: 10.5pt; }
  body { max-width: none; padding: 0; }
  a { color: #0b0c0c; }
  .title-page { break-after: page; padding-top: 35mm; }
  .title-page h1 { string-set: paper-title content(); bookmark-level: none; font-size: 26pt; }
  .draft-banner { string-set: paper-status content(); }
  nav.contents { break-after: page; }
  nav.contents h2 { bookmark-level: 1; }
  nav.contents ol { list-style-position: inside; padding-left: 0; }
  nav.contents li { margin: 0; padding: 2pt 0; border-bottom: 0.5pt solid #b1b4b6; }
  nav.contents a { text-decoration: none; }
  nav.contents a::after { content: target-counter(attr(href), page); float: right; padding-left: 1em;
    width: 3em; text-align: right; }
  ul.credits { list-style-position: inside; padding-left: 0; }
  .part.sources { break-before: page; }
  h2 { bookmark-level: 1; break-after: avoid; }
  h3 { bookmark-level: 2; break-after: avoid; }
  h4, h5, h6 { bookmark-level: none; break-after: avoid; }
  ul.sources { font-size: 8.5pt; line-height: 1.35; }
  ul.sources li { margin: 0 0 4pt; }
  table, figure, img { break-inside: avoid; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
}
"""
