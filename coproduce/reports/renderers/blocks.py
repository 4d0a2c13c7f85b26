"""Sanitised section HTML as a flat list of blocks (paragraphs, tables, images) for the DOCX renderer.

Handles what sections contain: p, h2-h6, ul/ol/li (nested), strong/b, em/i, code, pre, a, q,
blockquote, br, table/tr/th/td (with thead/tbody), img with data: URIs. Anything else contributes
its text. Whitespace collapses as in HTML.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_SPACE = re.compile(r"\s+")
_IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif"}
_BLOCK_TAGS = {"p", "div", "section", "article", "figure", "figcaption", "pre", "dd", "dt", "hr", "caption"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


@dataclass
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    href: str = ""
    newline: bool = False  # a line break before the text


@dataclass
class Paragraph:
    runs: list[Run] = field(default_factory=list)
    style: str = ""  # "" (body), "heading", "list", "quote", "pre", "caption"
    level: int = 0  # heading level, or list depth (1-based)
    ordered: bool = False
    anchors: list[str] = field(default_factory=list)  # ids on the elements it starts

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass
class Cell:
    header: bool
    paragraphs: list[Paragraph] = field(default_factory=list)


@dataclass
class Table:
    rows: list[list[Cell]] = field(default_factory=list)
    header_rows: int = 0


@dataclass
class Image:
    data: bytes
    format: str  # "png", "jpeg", "gif", or "" when not a raster image we can embed
    alt: str


Block = Paragraph | Table | Image


def parse(html: str) -> list[Block]:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    parser.end_paragraph()
    return parser.blocks


def decode_data_uri(src: str) -> tuple[bytes, str] | None:
    """(bytes, format) of a base64 data: URI of a PNG, JPEG or GIF image, else None."""
    if not src.startswith("data:") or "," not in src:
        return None
    meta, payload = src[5:].split(",", 1)
    parts = meta.split(";")
    kind = parts[0].strip().lower()
    if kind not in _IMAGE_TYPES or "base64" not in parts[1:]:
        return None
    try:
        return base64.b64decode(payload, validate=False), _IMAGE_TYPES[kind]
    except (binascii.Error, ValueError):
        return None


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.current: Paragraph | None = None
        self.lists: list[bool] = []  # ordered?
        self.quote = 0
        self.pre = 0
        self.bold = 0
        self.italic = 0
        self.code = 0
        self.hrefs: list[str] = []
        self.pending_anchors: list[str] = []
        self.pending_break = False
        self.table: Table | None = None
        self.outer: list[tuple[Table, Cell | None]] = []  # enclosing tables: nested ones are flattened
        self.cell: Cell | None = None
        self.in_thead = False
        self.skip = 0  # inside script/style (never present after sanitising, but be safe)

    # --- paragraphs ----------------------------------------------------------------------------

    def end_paragraph(self) -> None:
        paragraph = self.current
        self.current = None
        self.pending_break = False
        if paragraph is None:
            return
        if paragraph.runs and paragraph.style != "pre":
            paragraph.runs[-1].text = paragraph.runs[-1].text.rstrip()
        paragraph.runs = [run for run in paragraph.runs if run.text or run.newline]
        if not paragraph.runs and not paragraph.anchors:
            return
        if self.cell is not None:
            self.cell.paragraphs.append(paragraph)
        else:
            self.blocks.append(paragraph)

    def start_paragraph(self, style: str = "", level: int = 0, ordered: bool = False) -> None:
        self.end_paragraph()
        self.current = Paragraph(style=style, level=level, ordered=ordered)

    def paragraph(self) -> Paragraph:
        if self.current is None:
            if self.lists:
                style, level = "list", len(self.lists)
            elif self.quote:
                style, level = "quote", 0
            elif self.pre:
                style, level = "pre", 0
            else:
                style, level = "", 0
            self.current = Paragraph(style=style, level=level, ordered=bool(self.lists and self.lists[-1]))
        if self.pending_anchors:
            self.current.anchors.extend(self.pending_anchors)
            self.pending_anchors = []
        return self.current

    # --- events --------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag in {"script", "style"}:
            self.skip += 1
            return
        if attributes.get("id"):
            self.pending_anchors.append(attributes["id"])
        if tag in _HEADINGS:
            self.start_paragraph("heading", _HEADINGS[tag])
        elif tag in {"ul", "ol"}:
            self.end_paragraph()
            self.lists.append(tag == "ol")
        elif tag == "li":
            self.start_paragraph("list", max(len(self.lists), 1), bool(self.lists and self.lists[-1]))
        elif tag == "blockquote":
            self.end_paragraph()
            self.quote += 1
        elif tag == "pre":
            self.end_paragraph()
            self.pre += 1
        elif tag in _BLOCK_TAGS:
            self.end_paragraph()
        elif tag == "br":
            if self.current is not None and self.current.runs:
                self.pending_break = True
        elif tag in {"strong", "b"}:
            self.bold += 1
        elif tag in {"em", "i", "cite", "q"}:
            self.italic += 1
            if tag == "q":
                self.handle_data("“")
        elif tag in {"code", "kbd", "samp"}:
            self.code += 1
        elif tag == "a":
            self.hrefs.append(attributes.get("href", ""))
        elif tag == "img":
            self.image(attributes.get("src", ""), attributes.get("alt", ""))
        elif tag == "table":
            self.start_table()
        elif tag == "thead":
            self.in_thead = True
        elif tag == "tr" and self.table is not None:
            self.end_paragraph()
            self.table.rows.append([])
        elif tag in {"td", "th"} and self.table is not None:
            self.start_cell(header=tag == "th")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self.skip = max(self.skip - 1, 0)
        elif tag in _HEADINGS or tag == "li" or tag in _BLOCK_TAGS:
            self.end_paragraph()
        elif tag in {"ul", "ol"}:
            self.end_paragraph()
            if self.lists:
                self.lists.pop()
        elif tag == "blockquote":
            self.end_paragraph()
            self.quote = max(self.quote - 1, 0)
        elif tag == "pre":
            self.end_paragraph()
            self.pre = max(self.pre - 1, 0)
        elif tag in {"strong", "b"}:
            self.bold = max(self.bold - 1, 0)
        elif tag in {"em", "i", "cite", "q"}:
            if tag == "q":
                self.handle_data("”")
            self.italic = max(self.italic - 1, 0)
        elif tag in {"code", "kbd", "samp"}:
            self.code = max(self.code - 1, 0)
        elif tag == "a":
            if self.hrefs:
                self.hrefs.pop()
        elif tag == "thead":
            self.in_thead = False
        elif tag in {"td", "th", "tr"}:
            self.end_cell()
        elif tag == "table":
            self.end_table()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in {"br", "img", "hr"}:
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.table is not None and self.cell is None:
            if not data.strip():
                return
            self.start_cell(header=False)  # text loose in a row: give it a cell
        text = data if self.pre else _SPACE.sub(" ", data)
        if not self.pre and (self.current is None or not self.current.text or self.pending_break):
            text = text.lstrip()
        if not text:
            return
        paragraph = self.paragraph()
        if not self.pre and paragraph.text.endswith(" ") and not self.pending_break:
            text = text.lstrip()
            if not text:
                return
        paragraph.runs.append(
            Run(
                text=text,
                bold=bool(self.bold),
                italic=bool(self.italic),
                code=bool(self.code) or bool(self.pre),
                href=self.hrefs[-1] if self.hrefs else "",
                newline=self.pending_break,
            )
        )
        self.pending_break = False

    # --- images and tables ---------------------------------------------------------------------

    def image(self, src: str, alt: str) -> None:
        decoded = decode_data_uri(src)
        if decoded is None:
            if alt:
                self.handle_data(f"[Figure: {alt}]")
            return
        if self.cell is not None:  # images in table cells: their text alternative
            self.handle_data(f"[Figure: {alt}]" if alt else "[Figure]")
            return
        self.end_paragraph()
        self.blocks.append(Image(data=decoded[0], format=decoded[1], alt=alt))

    def start_table(self) -> None:
        self.end_paragraph()
        if self.table is not None:
            self.outer.append((self.table, self.cell))
        self.table = Table()
        self.cell = None

    def end_table(self) -> None:
        self.end_cell()
        table = self.table
        self.table, self.cell = self.outer.pop() if self.outer else (None, None)
        if table is None:
            return
        table.rows = [row for row in table.rows if row]
        if self.table is not None:  # a nested table: its text goes into the enclosing cell
            if self.cell is None:
                self.start_cell(header=False)
            if self.cell is not None:
                self.cell.paragraphs += [p for row in table.rows for cell in row for p in cell.paragraphs]
            return
        if table.rows:
            table.header_rows = _leading_header_rows(table)
            self.blocks.append(table)

    def start_cell(self, *, header: bool) -> None:
        self.end_cell()
        if self.table is None:
            return
        if not self.table.rows:
            self.table.rows.append([])
        self.cell = Cell(header=header or self.in_thead)
        self.table.rows[-1].append(self.cell)

    def end_cell(self) -> None:
        self.end_paragraph()
        self.cell = None


def _leading_header_rows(table: Table) -> int:
    count = 0
    for row in table.rows:
        if row and all(cell.header for cell in row):
            count += 1
        else:
            break
    return count
