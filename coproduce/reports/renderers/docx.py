"""The DOCX edition, by python-docx: the same content as the HTML edition with real styles.

Title page in "Title"; a contents field (TOC \\o "1-3" \\h \\z \\u, with the headings as its cached
result, updated by Word on opening); each part under "Heading 1", headings inside it under
"Heading 2" and below; tables with their header rows repeated; raster images from data: URIs with
their alt text; bookmarks for sections and sources so citations link within the document; running
header with the title and "Page X of Y" in the footer; document title and language set.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_BREAK
from docx.image.exceptions import UnrecognizedImageError
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Emu, Mm, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph

from coproduce.reports.frozen import FrozenEdition
from coproduce.reports.renderers.blocks import Image, Paragraph, Run, Table, parse
from coproduce.reports.renderers.content import DRAFT_NOTICE, Part, edition_line, parts, place_line, safe_url

LINK_COLOUR = RGBColor(0x1D, 0x4F, 0x91)
DRAFT_COLOUR = RGBColor(0x94, 0x25, 0x14)
MAX_IMAGE_WIDTH = Mm(160)
_BOOKMARK_CHARS = re.compile(r"[^A-Za-z0-9_]")
_LIST_STYLES = {False: "List Bullet", True: "List Number"}


def render_docx(edition: FrozenEdition) -> bytes:
    document = Document()
    writer = _Writer(document)
    _page_setup(document, edition)
    _properties(document, edition)
    paper_parts = parts(edition)
    _title_page(document, edition)
    _contents(writer, paper_parts)
    for part in paper_parts:
        if part.kind == "sources":
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        heading = writer.add_paragraph("Heading 1")
        writer.bookmark(heading, part.anchor)
        writer.runs(heading, [Run(text=part.heading)])
        writer.blocks(part.html)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- document set-up ---------------------------------------------------------------------------


def _page_setup(document: DocxDocument, edition: FrozenEdition) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.text = edition.title + (f" — {DRAFT_NOTICE}" if edition.draft else "")
    header.style = document.styles["Header"]
    footer = section.footer.paragraphs[0]
    footer.style = document.styles["Footer"]
    footer.add_run("Page ")
    _simple_field(footer, "PAGE", "1")
    footer.add_run(" of ")
    _simple_field(footer, "NUMPAGES", "1")
    # The document's language, for spell checking and screen readers.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        run_defaults = defaults.find(qn("w:rPrDefault"))
        rpr = run_defaults.find(qn("w:rPr")) if run_defaults is not None else None
        if rpr is not None:
            for old in rpr.findall(qn("w:lang")):
                rpr.remove(old)
            lang = OxmlElement("w:lang")
            lang.set(qn("w:val"), edition.language or "en-GB")
            rpr.append(lang)
    # Ask Word to update the contents field (page numbers) when the document is opened.
    # (CT_Settings is a sequence: updateFields comes before compat.)
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings = document.settings.element
    compat = settings.find(qn("w:compat"))
    if compat is not None:
        compat.addprevious(update)
    else:
        settings.append(update)


def _properties(document: DocxDocument, edition: FrozenEdition) -> None:
    props = document.core_properties
    props.title = edition.title[:255]
    props.language = edition.language or "en-GB"
    props.subject = edition_line(edition)[:255]
    props.author = (edition.credit_line or edition.space_name)[:255]
    props.identifier = edition.url[:255]
    props.version = edition.version[:255]
    props.keywords = "briefing paper" + ("; draft preview" if edition.draft else "")
    props.comments = edition.licence[:255]
    props.revision = max(edition.number, 1)
    try:
        published = datetime.fromisoformat(edition.published_at) if edition.published_at else None
    except ValueError:
        published = None
    if published is not None:
        props.created = props.modified = published


def _title_page(document: DocxDocument, edition: FrozenEdition) -> None:
    if edition.draft:
        run = document.add_paragraph().add_run(DRAFT_NOTICE)
        run.bold = True
        run.font.color.rgb = DRAFT_COLOUR
    document.add_paragraph("Briefing paper", style="Subtitle")
    document.add_paragraph(edition.title, style="Title")
    document.add_paragraph(edition_line(edition))
    if place_line(edition):
        document.add_paragraph(place_line(edition))
    if edition.credit_line:
        document.add_paragraph(f"By {edition.credit_line}")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _contents(writer: _Writer, paper_parts: list[Part]) -> None:
    """A real TOC field; its cached result lists the parts until Word updates it with page numbers."""
    writer.runs(writer.add_paragraph("TOC Heading"), [Run(text="Contents")])
    first = writer.add_paragraph()
    _field_char(first, "begin", dirty=True)
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = ' TOC \\o "1-3" \\h \\z \\u '
    run = OxmlElement("w:r")
    run.append(instruction)
    first.append(run)
    _field_char(first, "separate")
    paragraph = first
    for index, part in enumerate(paper_parts):
        if index:
            paragraph = writer.add_paragraph()
        writer.runs(paragraph, [Run(text=f"{index + 1}. {part.heading}", href=f"#{part.anchor}")])
    _field_char(paragraph, "end")
    page_break = OxmlElement("w:br")
    page_break.set(qn("w:type"), "page")
    run = OxmlElement("w:r")
    run.append(page_break)
    writer.add_paragraph().append(run)


# --- blocks ------------------------------------------------------------------------------------


class _Writer:
    """Writes paragraphs and runs as XML directly: python-docx's per-run API (style look-ups by
    name, font properties) is what made a 50-section paper slow."""

    def __init__(self, document: DocxDocument) -> None:
        self.document = document
        self.end = document.element.body.sectPr  # new body content goes before the section properties
        self.style_ids: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.bookmark_id = 0

    def style_id(self, name: str) -> str:
        if name not in self.style_ids:
            self.style_ids[name] = self.document.styles[name].style_id
        return self.style_ids[name]

    def add_paragraph(self, style: str = "") -> BaseOxmlElement:
        paragraph = OxmlElement("w:p")
        if style:
            properties = OxmlElement("w:pPr")
            style_element = OxmlElement("w:pStyle")
            style_element.set(qn("w:val"), self.style_id(style))
            properties.append(style_element)
            paragraph.append(properties)
        if self.end is not None:
            self.end.addprevious(paragraph)
        else:
            self.document.element.body.append(paragraph)
        return paragraph

    def bookmark(self, paragraph: BaseOxmlElement, anchor: str) -> None:
        self.bookmark_id += 1
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), str(self.bookmark_id))
        start.set(qn("w:name"), _bookmark_name(anchor))
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), str(self.bookmark_id))
        properties = paragraph.find(qn("w:pPr"))
        if properties is not None:
            properties.addnext(start)
        else:
            paragraph.insert(0, start)
        paragraph.append(end)

    def blocks(self, html: str) -> None:
        for block in parse(html):
            if isinstance(block, Paragraph):
                self.paragraph(self.add_paragraph(_style_name(block)), block)
            elif isinstance(block, Table):
                self.table(block)
            elif isinstance(block, Image):
                self.image(block)

    def paragraph(self, target: BaseOxmlElement, block: Paragraph) -> None:
        for anchor in block.anchors:
            self.bookmark(target, anchor)
        self.runs(target, block.runs)

    def runs(self, paragraph: BaseOxmlElement, runs: list[Run]) -> None:
        index = 0
        while index < len(runs):
            href = runs[index].href
            end = index
            while end < len(runs) and runs[end].href == href:
                end += 1
            link = self.hyperlink(href) if href else None
            for run in runs[index:end]:
                (link if link is not None else paragraph).append(_run(run, link=link is not None))
            if link is not None:
                paragraph.append(link)
            index = end

    def hyperlink(self, href: str) -> BaseOxmlElement | None:
        """A link to a bookmark ("#source-3") or to an http(s)/mailto address; None for others."""
        link = OxmlElement("w:hyperlink")
        if href.startswith("#"):
            link.set(qn("w:anchor"), _bookmark_name(href[1:]))
            return link
        url = safe_url(href)
        if url is None:
            return None
        if url not in self.links:
            rel_id = f"rIdLink{len(self.links) + 1}"
            self.document.part.rels.add_relationship(
                RELATIONSHIP_TYPE.HYPERLINK, url, rel_id, is_external=True
            )
            self.links[url] = rel_id
        link.set(qn("r:id"), self.links[url])
        return link

    def table(self, block: Table) -> None:
        columns = max(len(row) for row in block.rows)
        table = self.document.add_table(rows=len(block.rows), cols=columns)
        table.style = self.document.styles["Table Grid"]
        for r, row in enumerate(block.rows):
            if r < block.header_rows:
                properties = table.rows[r]._tr.get_or_add_trPr()
                properties.append(OxmlElement("w:tblHeader"))
            for c, cell in enumerate(row):
                target: _Cell = table.cell(r, c)
                for index, paragraph in enumerate(cell.paragraphs or [Paragraph()]):
                    if cell.header:
                        for run in paragraph.runs:
                            run.bold = True
                    element = target.paragraphs[0]._p if index == 0 else target.add_paragraph()._p
                    style = _style_name(_plain(paragraph))
                    if style:
                        element.style = self.style_id(style)
                    self.paragraph(element, paragraph)
        self.add_paragraph()

    def image(self, block: Image) -> None:
        try:
            shape = self.document.add_picture(io.BytesIO(block.data))
        except (UnrecognizedImageError, ValueError, KeyError, IndexError, OSError):
            if block.alt:
                self.runs(self.add_paragraph(), [Run(text=f"[Figure: {block.alt}]")])
            return
        if shape.width > MAX_IMAGE_WIDTH:
            ratio = MAX_IMAGE_WIDTH / shape.width
            shape.width, shape.height = Emu(MAX_IMAGE_WIDTH), Emu(int(shape.height * ratio))
        shape._inline.docPr.set("descr", block.alt)
        shape._inline.docPr.set("title", block.alt)


def _plain(paragraph: Paragraph) -> Paragraph:
    """In table cells, headings and quotes keep their text but not their paragraph style."""
    if paragraph.style in {"heading", "quote"}:
        return Paragraph(runs=paragraph.runs, anchors=paragraph.anchors)
    return paragraph


def _style_name(block: Paragraph) -> str:
    if block.style == "heading":
        return f"Heading {min(max(block.level - 1, 2), 6)}"
    if block.style == "list":
        base = _LIST_STYLES[block.ordered]
        return base if block.level <= 1 else f"{base} {min(block.level, 3)}"
    if block.style == "quote":
        return "Quote"
    if block.style == "pre":
        return "No Spacing"
    return ""


def _run(run: Run, *, link: bool = False) -> BaseOxmlElement:
    element = OxmlElement("w:r")
    properties = OxmlElement("w:rPr")
    if run.code:  # (the order of run properties is fixed by the schema)
        fonts = OxmlElement("w:rFonts")
        fonts.set(qn("w:ascii"), "Courier New")
        fonts.set(qn("w:hAnsi"), "Courier New")
        properties.append(fonts)
    if run.bold:
        properties.append(OxmlElement("w:b"))
    if run.italic:
        properties.append(OxmlElement("w:i"))
    if link:
        colour = OxmlElement("w:color")
        colour.set(qn("w:val"), str(LINK_COLOUR))
        properties.append(colour)
        underline = OxmlElement("w:u")
        underline.set(qn("w:val"), "single")
        properties.append(underline)
    if len(properties):
        element.append(properties)
    if run.newline:
        element.append(OxmlElement("w:br"))
    text = OxmlElement("w:t")
    text.set(qn("xml:space"), "preserve")
    text.text = run.text
    element.append(text)
    return element


def _bookmark_name(anchor: str) -> str:
    name = _BOOKMARK_CHARS.sub("_", anchor)
    if not name[:1].isalpha():
        name = "b" + name
    return name[:40]


def _field_char(paragraph: BaseOxmlElement, kind: str, *, dirty: bool = False) -> None:
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    if dirty:
        char.set(qn("w:dirty"), "true")
    run = OxmlElement("w:r")
    run.append(char)
    paragraph.append(run)


def _simple_field(paragraph: DocxParagraph, instruction: str, cached: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = cached
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
