"""The renderers are pure functions of a FrozenEdition: tested without the database."""

from __future__ import annotations

import base64
import gc
import io
import re
import struct
import subprocess
import threading
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import docx
import pytest

from coproduce.reports.frozen import Credit, FrozenEdition, FrozenSection, FrozenSource
from coproduce.reports.renderers import PAPER_CSS, render_docx, render_html, render_pdf
from coproduce.reports.renderers.blocks import Paragraph, Table, parse

TITLE = "The power and perils of using social networking tools in the NHS"
DRAFT = "Draft preview \N{EN DASH} not published"
HEADINGS = ["Summary", "Key messages", "Findings", "Contributors"]


def png(width: int = 40, height: int = 20) -> bytes:
    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


IMAGE = "data:image/png;base64," + base64.b64encode(png()).decode()


def make_edition(*, sections: tuple[FrozenSection, ...] | None = None, **changes: object) -> FrozenEdition:
    default_sections = (
        FrozenSection(
            "section-1",
            "Summary",
            "text",
            '<p>Staff use <strong>social</strong> tools <a class="citation" href="#source-1">[S1]</a>.</p>'
            "<h2>Why it matters</h2><ul><li>Reach</li><li>Speed <em>and</em> cost</li></ul>",
            (1, 2),
        ),
        FrozenSection(
            "section-2",
            "Key messages",
            "text",
            "<table><thead><tr><th>Risk</th><th>Benefit</th></tr></thead>"
            "<tbody><tr><td>Privacy</td><td>Reach</td></tr><tr><td>Tone</td><td>Trust</td></tr></tbody></table>"
            f'<p><img src="{IMAGE}" alt="A red box"></p>'
            '<blockquote><p>Ask first <a class="citation" href="#source-3">[S3]</a></p></blockquote>',
            (2, 3),
        ),
        FrozenSection("section-3", "Findings", "text", "<p>Most teams have a policy.</p>", ()),
        FrozenSection("section-4", "Contributors", "contributors", "<p>With thanks.</p>", ()),
    )
    values: dict[str, object] = {
        "title": TITLE,
        "number": 1,
        "version": "1.0",
        "published_at": "2026-11-24T12:00:00+00:00",
        "published_on": "24 November 2026",
        "space_name": "Masterclass",
        "community_name": "NHS Social Media Community",
        "licence": "Open Government Licence v3.0",
        "licence_url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "how_to_cite": "Facilitator R. et al. (2026). The power and perils. Edition 1.",
        "url": "https://coproduce.example/spaces/masterclass/papers/1/editions/1/",
        "sections": default_sections if sections is None else sections,
        "sources": (
            FrozenSource(
                1, "page", "Wiki page", "Guidance", "Use it well", "https://coproduce.example/p/1?r=3", 3
            ),
            FrozenSource(2, "comment", "Comment", "A comment", "I agree", "https://coproduce.example/c/2"),
            FrozenSource(3, "outcome", "Discussion outcome", "Outcome", "", "https://coproduce.example/d/3"),
        ),
        "credits": (
            Credit("Rowan Facilitator, NHS Trust", "facilitator", 1),
            Credit("Ada Admin", "editor", 2),
            Credit("M. M.", "contributor", 3),
        ),
        "unnamed_count": 4,
    }
    values.update(changes)
    return FrozenEdition(**values)  # type: ignore[arg-type]


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdfinfo(pdf: bytes, tmp_path: Path, *options: str) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", *options, str(path)], capture_output=True, text=True, check=True).stdout


def inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (object streams included) decompressed, for searching."""
    streams = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            streams.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return pdf + b"".join(streams)


# --- PDF -------------------------------------------------------------------------------------


def test_the_pdf_has_the_title_the_contents_every_section_heading_and_the_contributors(
    tmp_path: Path,
) -> None:
    text = pdf_text(render_pdf(make_edition()), tmp_path)
    flat = " ".join(text.split())
    assert "The power and perils of using social networking tools in the NHS" in flat
    assert "Edition 1, version 1.0, published on 24 November 2026" in flat
    assert "Contents" in text
    for heading in [*HEADINGS, "Sources", "Licence and how to cite", "How to cite"]:
        assert heading in text
    for name in ["Rowan Facilitator, NHS Trust", "Ada Admin", "M. M."]:
        assert name in text
    assert "and 4 others who chose not to be named" in flat
    assert "Open Government Licence v3.0" in text


def test_the_pdf_numbers_its_pages_and_gives_page_numbers_in_the_contents(tmp_path: Path) -> None:
    pdf = render_pdf(make_edition())
    text = pdf_text(pdf, tmp_path)
    pages = int(re.search(r"Pages:\s+(\d+)", pdfinfo(pdf, tmp_path)).group(1))  # type: ignore[union-attr]
    assert f"Page 1 of {pages}" in text
    assert f"Page {pages} of {pages}" in text
    by_page = text.split("\f")
    for heading in ["Summary", "Findings", "Sources", "Licence and how to cite"]:
        listed = re.search(rf"{heading}\s+(\d+)", by_page[1])  # the contents page
        assert listed, heading
        assert heading in by_page[int(listed.group(1)) - 1]


def test_the_pdf_contents_has_no_dot_leaders_for_screen_readers_to_read_out(tmp_path: Path) -> None:
    contents = pdf_text(render_pdf(make_edition()), tmp_path).split("\f")[1]
    assert "Summary" in contents
    assert ".." not in contents


def test_the_pdf_repeats_the_title_in_a_running_header_after_the_title_page(tmp_path: Path) -> None:
    pages = pdf_text(render_pdf(make_edition(title="Short title")), tmp_path).split("\f")
    assert pages[0].count("Short title") == 1
    assert all("Short title" in page for page in pages[1:] if page.strip())


def test_the_pdf_is_tagged_pdf_ua_with_its_title_language_and_bookmarks(tmp_path: Path) -> None:
    pdf = render_pdf(make_edition())
    info = pdfinfo(pdf, tmp_path)
    assert re.search(r"Tagged:\s+yes", info)
    assert re.search(rf"Title:\s+{re.escape(TITLE)}", info)
    body = inflated(pdf)
    assert b"/Lang (en-GB)" in body
    assert b"/Outlines" in body
    assert b"pdfuaid" in body  # the PDF/UA identification in the XMP metadata
    assert "H2" in pdfinfo(pdf, tmp_path, "-struct")


def test_the_pdf_provenance_appendix_links_to_each_exact_revision(tmp_path: Path) -> None:
    pdf = render_pdf(make_edition())
    destinations = pdfinfo(pdf, tmp_path, "-dests")
    for label in (1, 2, 3):
        assert f'"source-{label}"' in destinations
    urls = pdfinfo(pdf, tmp_path, "-url")
    assert "https://coproduce.example/p/1?r=3" in urls
    assert "https://coproduce.example/d/3" in urls


def test_the_pdf_embeds_data_images_and_fetches_nothing_else(tmp_path: Path) -> None:
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png())

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        html = (
            f'<p><img src="http://127.0.0.1:{port}/tracker.png" alt="remote">'
            f'<img src="file:///etc/passwd" alt="local"><img src="{IMAGE}" alt="embedded"></p>'
        )
        section = FrozenSection("section-1", "Figures", "text", html)
        pdf = render_pdf(make_edition(sections=(section,)))
    finally:
        server.shutdown()
        server.server_close()
    assert requests == []
    assert b"/Subtype /Image" in inflated(pdf)


def test_the_pdf_render_leaves_the_garbage_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    render_pdf(make_edition())
    assert gc.isenabled()
    gc.disable()
    try:
        render_pdf(make_edition())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_first_page_of_the_pdf_renders_to_an_image(tmp_path: Path) -> None:
    (tmp_path / "paper.pdf").write_bytes(render_pdf(make_edition()))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", "paper.pdf", "page1"],
        cwd=tmp_path,
        check=True,
    )
    image = (tmp_path / "page1.png").read_bytes()
    assert image.startswith(b"\x89PNG")
    assert len(image) > 2000  # not a blank page


# --- HTML ------------------------------------------------------------------------------------


def test_the_html_is_a_standalone_document_with_language_title_and_headings() -> None:
    html = render_html(make_edition()).decode()
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB">' in html
    assert f"<title>{TITLE}</title>" in html
    assert f'<h1 id="title">{TITLE}</h1>' in html
    for heading in [*HEADINGS, "Sources", "Licence and how to cite"]:
        assert f">{heading}</h2>" in html
    assert f"<style>{PAPER_CSS}</style>" in html
    assert "<link" not in html
    assert "<script" not in html


def test_the_html_contents_link_to_every_part() -> None:
    html = render_html(make_edition()).decode()
    contents = html[html.index('<nav class="contents"') : html.index("</nav>")]
    for anchor in ["section-1", "section-2", "section-3", "section-4", "sources", "licence"]:
        assert f'href="#{anchor}"' in contents
        assert f'id="{anchor}"' in html


def test_citations_link_to_a_single_anchor_per_source_in_the_appendix() -> None:
    html = render_html(make_edition()).decode()
    assert 'href="#source-3"' in html
    for label in (1, 2, 3):
        assert html.count(f'id="source-{label}"') == 1
    # Source 2 is used by two sections: the second listing links back to the first.
    appendix = html[html.index('id="sources"') :]
    assert appendix.count('href="#source-2"') == 1
    entry = html[html.index('<li><strong id="source-1">S1</strong>') :]
    entry = entry[: entry.index("</li>")]
    assert "Guidance (Wiki page, revision 3)" in entry
    assert '<a href="https://coproduce.example/p/1?r=3">https://coproduce.example/p/1?r=3</a>' in entry


def test_headings_inside_a_section_sit_below_the_section_heading() -> None:
    html = render_html(make_edition()).decode()
    assert "<h3>Why it matters</h3>" in html
    assert "<h2>Why it matters</h2>" not in html


def test_the_contributors_are_grouped_by_role_in_the_contributors_section() -> None:
    html = render_html(make_edition()).decode()
    section = html[html.index('id="section-4"') : html.index('id="sources"')]
    assert section.index("With thanks.") < section.index("<h3>Facilitator</h3>")
    assert section.index("<h3>Facilitator</h3>") < section.index("<h3>Editor</h3>")
    assert section.index("<h3>Editor</h3>") < section.index("<h3>Contributor</h3>")
    assert "<li>M. M.</li>" in section
    assert "… and 4 others who chose not to be named." in section
    assert "By Rowan Facilitator, NHS Trust, Ada Admin, M. M. and 4 others" in html


def test_without_a_contributors_section_the_contributors_are_added_at_the_end() -> None:
    section = FrozenSection("section-1", "Introduction", "text", "<p>Hello.</p>")
    credits = (Credit("Ada Admin", "editor", 2), Credit("Bea Brown", "editor", 5))
    html = render_html(make_edition(sections=(section,), credits=credits, unnamed_count=1)).decode()
    contributors = html[html.index('id="contributors"') : html.index('id="sources"')]
    assert "<h3>Editors</h3>" in contributors
    assert "… and 1 other who chose not to be named." in contributors
    assert html.index('id="section-1"') < html.index('id="contributors"')


def test_text_from_the_edition_is_escaped() -> None:
    html = render_html(make_edition(title="<script>alert(1)</script> & more")).decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_a_draft_preview_says_it_is_not_published_in_every_format(tmp_path: Path) -> None:
    edition = make_edition(draft=True)
    assert DRAFT in render_html(edition).decode()
    assert DRAFT in " ".join(pdf_text(render_pdf(edition), tmp_path).split())
    document = docx.Document(_stream(render_docx(edition)))
    assert DRAFT in [p.text for p in document.paragraphs]


def test_a_published_edition_does_not_say_draft() -> None:
    assert "Draft preview" not in render_html(make_edition()).decode()


# --- DOCX ------------------------------------------------------------------------------------


def _stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def _docx(edition: FrozenEdition) -> docx.document.Document:
    return docx.Document(_stream(render_docx(edition)))


def test_the_docx_uses_real_title_and_heading_styles() -> None:
    document = _docx(make_edition())
    styled = [(p.style.name if p.style else "", p.text) for p in document.paragraphs]
    assert ("Title", TITLE) in styled
    for heading in [*HEADINGS, "Sources", "Licence and how to cite"]:
        assert ("Heading 1", heading) in styled
    assert ("Heading 2", "Why it matters") in styled
    assert ("Heading 2", "Facilitator") in styled
    assert ("List Bullet", "Speed and cost") in styled
    assert ("Quote", "Ask first [S3]") in styled


def test_the_docx_has_a_contents_field_and_its_title_and_language() -> None:
    document = _docx(make_edition())
    xml = document.element.xml
    assert 'w:fldCharType="begin"' in xml
    assert 'TOC \\o "1-3" \\h \\z \\u' in xml
    assert 'w:fldCharType="end"' in xml
    assert document.core_properties.title == TITLE
    assert document.core_properties.language == "en-GB"
    assert '<w:lang w:val="en-GB"/>' in document.styles.element.xml
    footer = document.sections[0].footer._element.xml
    assert 'w:instr="PAGE"' in footer
    assert 'w:instr="NUMPAGES"' in footer


def test_the_docx_has_tables_images_and_links_to_the_sources() -> None:
    document = _docx(make_edition())
    table = document.tables[0]
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["Risk", "Benefit"],
        ["Privacy", "Reach"],
        ["Tone", "Trust"],
    ]
    assert "w:tblHeader" in table.rows[0]._tr.xml
    assert len(document.inline_shapes) == 1
    xml = document.element.xml
    assert 'descr="A red box"' in xml
    assert 'w:anchor="source_3"' in xml
    assert 'w:name="source_3"' in xml
    urls = {rel.target_ref for rel in document.part.rels.values() if rel.is_external}
    assert "https://coproduce.example/p/1?r=3" in urls


def test_the_docx_has_the_same_contributors_and_licence() -> None:
    texts = [p.text for p in _docx(make_edition()).paragraphs]
    for expected in [
        "Rowan Facilitator, NHS Trust",
        "Ada Admin",
        "M. M.",
        "… and 4 others who chose not to be named.",
        "Facilitator R. et al. (2026). The power and perils. Edition 1.",
    ]:
        assert expected in texts


# --- the HTML reader behind the DOCX -------------------------------------------------------------


def test_section_html_becomes_paragraphs_lists_and_tables() -> None:
    blocks = parse(
        "<p>Hello   <b>bold</b>\n world</p><ol><li>one<ul><li>inner</li></ul></li></ol>"
        "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td></tr></table><p>line<br>break</p>"
    )
    paragraphs = [b for b in blocks if isinstance(b, Paragraph)]
    assert paragraphs[0].text == "Hello bold world"
    assert [r.bold for r in paragraphs[0].runs] == [False, True, False]
    assert (paragraphs[1].text, paragraphs[1].ordered, paragraphs[1].level) == ("one", True, 1)
    assert (paragraphs[2].text, paragraphs[2].ordered, paragraphs[2].level) == ("inner", False, 2)
    table = next(b for b in blocks if isinstance(b, Table))
    assert table.header_rows == 1
    assert [[c.paragraphs[0].text for c in row] for row in table.rows] == [["A", "B"], ["1"]]
    assert paragraphs[-1].runs[-1].newline


@pytest.mark.parametrize(
    "src", ["data:image/svg+xml;base64,PHN2Zy8+", "https://example.org/a.png", "data:,x"]
)
def test_images_that_cannot_be_embedded_in_the_docx_keep_their_text_alternative(src: str) -> None:
    section = FrozenSection("section-1", "Figure", "text", f'<p><img src="{src}" alt="Uptake by region"></p>')
    texts = [p.text for p in _docx(make_edition(sections=(section,))).paragraphs]
    assert "[Figure: Uptake by region]" in texts
