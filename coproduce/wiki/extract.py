"""Text inside uploaded files (.txt, .md, .csv, .docx, .pdf), read with limits checked first.

`extract(handle, content_type)` returns the file's text as `Extracted`: the parts joined by
new lines, each part knowing where it is in the file ("line 4", "paragraph 12", "page 3"), so
that the patient-data guard's findings can be named for a person. Every limit is checked before
or while reading, never after, so a hostile file costs little time and bounded memory:

- .docx (a zip): the number of entries, the declared uncompressed size of the XML parts read
  and of the whole archive, and each part's compression ratio are checked from the zip's
  directory before anything is decompressed; parts are then decompressed in chunks, counting
  the bytes actually produced. The XML is parsed by expat in a streaming way with no tree kept:
  a document type declaration (DTD) or entity declaration is refused (no entity is ever
  expanded or fetched: no "billion laughs", no external entity), and elements are counted and
  the parse stopped at `Limits.max_elements`.
- .pdf: read by pypdf with its decompression limits lowered (`Limits.max_stream_bytes`), the
  page count checked before any page is read, and the extracted text counted as it grows.
- text: decoded as UTF-8 (bad bytes replaced), split into lines; the joined text is the file's
  text exactly, so offsets into it are character positions in the file.

Each refusal raises `Refused` with a message for a person and a stable `code`.
"""

from __future__ import annotations

import bisect
import codecs
import posixpath
import re
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

from django.template.defaultfilters import filesizeformat
from pypdf import PdfReader, apply_configuration
from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NullObject, PdfObject

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/csv"})
EXTRACTED_TYPES = frozenset({DOCX, PDF, *TEXT_TYPES})

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    max_entries: int = 2000  # entries in the zip
    max_archive_bytes: int = 200 * 1024 * 1024  # declared uncompressed size of the whole zip
    max_xml_bytes: int = 50 * 1024 * 1024  # uncompressed XML read for text (all parts together)
    max_ratio: int = 100  # uncompressed : compressed, per part read
    max_elements: int = 200_000  # XML elements (paragraphs, runs, text...) in all parts read
    max_pages: int = 2000  # PDF pages
    max_stream_bytes: int = 20 * 1024 * 1024  # one decompressed PDF stream
    max_chars: int = 10_000_000  # characters of text extracted


LIMITS = Limits()


class Refused(Exception):
    """The file cannot be checked safely; `message` says why, for a person; `code` for a program."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Extracted:
    """The text of a file and where each part of it came from."""

    text: str = ""
    starts: list[int] = field(default_factory=list)
    places: list[str] = field(default_factory=list)

    def where(self, offset: int) -> str:
        """Where in the file the character at `offset` of `text` is: "paragraph 12", "page 3"..."""
        at = bisect.bisect_right(self.starts, offset) - 1
        return self.places[at] if at >= 0 else ""


class _Builder:
    """Joins parts with new lines, remembering where each starts; stops at max_chars."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.pieces: list[str] = []
        self.starts: list[int] = []
        self.places: list[str] = []
        self.length = 0

    def add(self, place: str, text: str, *, keep_empty: bool = False) -> None:
        if not keep_empty and not text.strip():
            return
        if self.length + len(text) + 1 > self.limits.max_chars:
            raise Refused(
                "too_much_text",
                f"The file holds more than {self.limits.max_chars:,} characters of text, too much to "
                "check for patient data. Split it into smaller files.",
            )
        self.starts.append(self.length)
        self.places.append(place)
        self.pieces.append(text)
        self.length += len(text) + 1

    def done(self) -> Extracted:
        return Extracted(text="\n".join(self.pieces), starts=self.starts, places=self.places)


def extract(handle: IO[bytes], content_type: str, *, limits: Limits = LIMITS) -> Extracted:
    """The text of the file (positioned anywhere; it is rewound). Raises Refused."""
    handle.seek(0)
    if content_type == DOCX:
        return _docx(handle, limits)
    if content_type == PDF:
        return _pdf(handle, limits)
    if content_type in TEXT_TYPES:
        return _text(handle, limits)
    return Extracted()


# --- plain text --------------------------------------------------------------------------------


def _text(handle: IO[bytes], limits: Limits) -> Extracted:
    builder = _Builder(limits)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    number, pending = 0, ""
    while chunk := handle.read(_CHUNK):
        lines = (pending + decoder.decode(chunk)).split("\n")
        pending = lines.pop()
        for line in lines:
            number += 1
            builder.add(f"line {number}", line, keep_empty=True)
    pending += decoder.decode(b"", final=True)
    builder.add(f"line {number + 1}", pending, keep_empty=True)
    return builder.done()


# --- Word documents ----------------------------------------------------------------------------

# WordprocessingML in its two namespaces: Transitional (what Word writes by default) and Strict.
_W_NAMESPACES = frozenset(
    {
        "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
        "http://purl.oclc.org/ooxml/wordprocessingml/main",
    }
)
_M_NAMESPACES = frozenset(  # equations: their text is text people typed too
    {
        "http://schemas.openxmlformats.org/officeDocument/2006/math",
        "http://purl.oclc.org/ooxml/officeDocument/math",
    }
)
_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"

_MAIN = "the document"
_PROPERTIES = "the document properties"
# The parts of a Word document that hold text people typed, and what to call them, found by name,
# by content type in [Content_Types].xml and by relationship type in the package's relationships.
_DOCX_PARTS = (
    (re.compile(r"word/document\.xml"), _MAIN),
    (re.compile(r"word/header\d*\.xml"), "a header"),
    (re.compile(r"word/footer\d*\.xml"), "a footer"),
    (re.compile(r"word/footnotes\.xml"), "the footnotes"),
    (re.compile(r"word/endnotes\.xml"), "the endnotes"),
    (re.compile(r"word/comments\.xml"), "the comments"),
    (re.compile(r"word/glossary/document\.xml"), "the building blocks"),
    (re.compile(r"docProps/(core|app|custom)\.xml"), _PROPERTIES),
)
_LABEL_ORDER = {label: order for order, (_pattern, label) in enumerate(_DOCX_PARTS)}
_WORD_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml."
_CONTENT_TYPE_LABELS = {
    f"{_WORD_TYPE}document.main+xml": _MAIN,
    f"{_WORD_TYPE}template.main+xml": _MAIN,
    "application/vnd.ms-word.document.macroenabled.main+xml": _MAIN,
    "application/vnd.ms-word.template.macroenabledtemplate.main+xml": _MAIN,
    f"{_WORD_TYPE}header+xml": "a header",
    f"{_WORD_TYPE}footer+xml": "a footer",
    f"{_WORD_TYPE}footnotes+xml": "the footnotes",
    f"{_WORD_TYPE}endnotes+xml": "the endnotes",
    f"{_WORD_TYPE}comments+xml": "the comments",
    f"{_WORD_TYPE}document.glossary+xml": "the building blocks",
    "application/vnd.openxmlformats-package.core-properties+xml": _PROPERTIES,
    "application/vnd.openxmlformats-officedocument.extended-properties+xml": _PROPERTIES,
    "application/vnd.openxmlformats-officedocument.custom-properties+xml": _PROPERTIES,
}
# Relationship types by their last word (the same in Transitional and Strict packages).
_RELATIONSHIP_LABELS = {
    "officeDocument": _MAIN,
    "header": "a header",
    "footer": "a footer",
    "footnotes": "the footnotes",
    "endnotes": "the endnotes",
    "comments": "the comments",
    "glossaryDocument": "the building blocks",
    "core-properties": _PROPERTIES,
    "extended-properties": _PROPERTIES,
    "custom-properties": _PROPERTIES,
}
# The properties that hold words: core.xml (Dublin Core and OPC), app.xml, and custom.xml's
# string and number values (not dates or yes/no, whose digits say nothing and could look like
# a telephone number).
_PROPERTY_ELEMENTS = frozenset(
    {
        "title", "subject", "creator", "keywords", "description", "lastModifiedBy", "category",
        "contentStatus", "Company", "Manager", "HyperlinkBase", "lpwstr", "lpstr", "bstr",
        "i1", "i2", "i4", "i8", "int", "ui1", "ui2", "ui4", "ui8", "uint", "r4", "r8", "decimal",
    }
)  # fmt: skip
# A Word part with more character data than this, none of it in an element read for text, is
# written in a way this reader does not understand: refused rather than passed unchecked.
_UNEXPLAINED_DATA = 200

# Declarations that can define or fetch entities: never let one reach the parser. (The parser
# refuses them too; this also catches them in a part that is not well-formed.)
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_TAIL = max(len(d) for d in _DECLARATIONS) - 1

_UNREADABLE = "The Word document could not be read. Save it again from Word and upload it again."


def _docx(handle: IO[bytes], limits: Limits) -> Extracted:
    try:
        with zipfile.ZipFile(handle) as archive:
            _check_directory(archive, limits)
            builder = _Builder(limits)
            reader = _DocxReader(builder, limits)
            for info, label in _docx_parts(archive, reader):
                reader.read(archive, info, label)
            return builder.done()
    except Refused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise Refused("unreadable", _UNREADABLE) from exc
    except (RuntimeError, NotImplementedError) as exc:  # encrypted or an unknown compression method
        raise Refused("unreadable", _UNREADABLE) from exc


def _check_directory(archive: zipfile.ZipFile, limits: Limits) -> None:
    entries = archive.infolist()
    if len(entries) > limits.max_entries:
        raise Refused("too_many_entries", f"The file has more than {limits.max_entries:,} parts inside it.")
    names = [e.filename.lower() for e in entries]
    if len(set(names)) != len(names):  # which of two parts of one name counts is anyone's guess
        raise Refused("unreadable", _UNREADABLE)
    if sum(e.file_size for e in entries) > limits.max_archive_bytes:
        raise Refused(
            "too_large_uncompressed",
            f"The file would be larger than {filesizeformat(limits.max_archive_bytes)} once unpacked.",
        )


def _check_part(entry: zipfile.ZipInfo, limits: Limits) -> None:
    if entry.file_size > limits.max_ratio * max(entry.compress_size, 1) and entry.file_size > _CHUNK:
        raise Refused(
            "compression_ratio",
            f"The file is compressed more than {limits.max_ratio} to 1, which ordinary documents never "
            "are; it was refused as a possible zip bomb.",
        )


def _check_total(size: int, limits: Limits) -> None:
    if size > limits.max_xml_bytes:
        raise Refused(
            "too_large_uncompressed",
            f"The document's text would be larger than {filesizeformat(limits.max_xml_bytes)} once "
            "unpacked, too much to check for patient data.",
        )


def _docx_parts(archive: zipfile.ZipFile, reader: _DocxReader) -> list[tuple[zipfile.ZipInfo, str]]:
    """The parts to read, main document first, after checking the directory's declared sizes.

    A part is read if its name is one Word uses, or [Content_Types].xml gives it a content type
    that holds text, or a relationship of the package or of the main document points at it as
    such: a renamed main part, or a header called anything, is read all the same.
    """
    entries = archive.infolist()
    by_name = {e.filename.lower(): e for e in entries}
    # A part named as two things (a "main document" at docProps/core.xml) is read as both.
    chosen: dict[tuple[str, str], tuple[zipfile.ZipInfo, str]] = {}

    def choose(name: str, label: str) -> None:
        entry = by_name.get(name.lower())
        if entry is not None:
            chosen.setdefault((entry.filename.lower(), label), (entry, label))

    for pattern, label in _DOCX_PARTS:
        for entry in entries:
            if pattern.fullmatch(entry.filename):
                choose(entry.filename, label)
    for name, label in reader.content_types(archive, by_name.get("[content_types].xml"), entries):
        choose(name, label)
    for name, label in reader.relationships(archive, by_name.get("_rels/.rels"), ""):
        choose(name, label)
    for main in [entry.filename for entry, label in list(chosen.values()) if label == _MAIN]:
        folder, _slash, file = main.rpartition("/")
        rels = f"{folder}/_rels/{file}.rels" if folder else f"_rels/{file}.rels"
        for name, label in reader.relationships(archive, by_name.get(rels.lower()), folder):
            choose(name, label)
    parts = sorted(chosen.values(), key=lambda part: (_LABEL_ORDER[part[1]], part[0].filename))
    _check_total(reader.produced + sum(e.file_size for e, _label in parts), reader.limits)
    for entry, _label in parts:
        _check_part(entry, reader.limits)
    return parts


def _attributes(attributes: list[str]) -> dict[str, str]:
    return dict(zip(attributes[::2], attributes[1::2], strict=True))


def _target(folder: str, target: str) -> str:
    """The zip entry name a relationship's target names, relative to the part's folder."""
    target = urllib.parse.unquote(target.split("#", 1)[0])
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
    return posixpath.normpath(path).lstrip("/")


class _DocxReader:
    """Streams WordprocessingML through expat, collecting the text of each paragraph."""

    def __init__(self, builder: _Builder, limits: Limits) -> None:
        self.builder = builder
        self.limits = limits
        self.elements = 0
        self.produced = 0  # bytes of XML unpacked, all parts together
        self.paragraphs = 0  # of the main document, numbered as Word shows them
        self.label = ""
        self.depth = 0  # paragraphs inside paragraphs (text boxes) are read as part of the outer one
        self.inserted = 0  # inside a tracked insertion: text that was not there before the change
        self.now: list[str] = []  # the paragraph as it reads now
        self.before: list[str] = []  # and as it read before tracked changes (deleted text included)
        self.reading: str | None = None  # "t", "delText", "instrText", a property: what the text is
        self.found = 0  # characters of text found in the part
        self.unexplained = 0  # characters of other (not blank) character data in the part
        self.property = ""
        self.skipping = 0

    # -- package parts: which parts to read -----------------------------------------------------

    def content_types(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo | None, entries: list[zipfile.ZipInfo]
    ) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        overridden: set[str] = set()
        defaults: dict[str, str] = {}

        def start(name: str, attributes: list[str]) -> None:
            namespace, _space, local = name.rpartition(" ")
            if namespace != _CONTENT_TYPES:
                return
            values = _attributes(attributes)
            kind = values.get("ContentType", "").lower().strip()
            if local == "Override" and "PartName" in values:
                part = _target("", values["PartName"])
                overridden.add(part.lower())
                if kind in _CONTENT_TYPE_LABELS:
                    found.append((part, _CONTENT_TYPE_LABELS[kind]))
            elif local == "Default" and kind in _CONTENT_TYPE_LABELS:
                defaults[values.get("Extension", "").lower()] = _CONTENT_TYPE_LABELS[kind]

        if info is not None:
            self._parse(archive, info, start, None, None)
        for entry in entries:
            extension = entry.filename.rpartition(".")[2].lower()
            if extension in defaults and entry.filename.lower() not in overridden:
                found.append((entry.filename, defaults[extension]))
        return found

    def relationships(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo | None, folder: str
    ) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []

        def start(name: str, attributes: list[str]) -> None:
            if name != f"{_RELATIONSHIPS} Relationship":
                return
            values = _attributes(attributes)
            label = _RELATIONSHIP_LABELS.get(values.get("Type", "").rstrip("/").rpartition("/")[2])
            if label and values.get("TargetMode", "Internal") == "Internal" and values.get("Target"):
                found.append((_target(folder, values["Target"]), label))

        if info is not None:
            self._parse(archive, info, start, None, None)
        return found

    # -- reading a part ---------------------------------------------------------------------------

    def read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> None:
        self.label = label
        self.found = self.unexplained = self.depth = self.inserted = self.skipping = 0
        self.reading = None
        if label == _PROPERTIES:
            self._parse(archive, info, self._property_start, self._property_end, self._property_data)
            return
        self._parse(archive, info, self._start, self._end, self._data)
        if self.now or self.before:  # text outside any paragraph is read all the same
            self.depth = 0
            self._paragraph()
        if self.found == 0 and self.unexplained > _UNEXPLAINED_DATA:
            raise Refused("unreadable", _UNREADABLE)

    def _parse(
        self,
        archive: zipfile.ZipFile,
        info: zipfile.ZipInfo,
        start: Callable[[str, list[str]], None],
        end: Callable[[str], None] | None,
        data: Callable[[str], None] | None,
    ) -> None:
        _check_part(info, self.limits)
        _check_total(self.produced + info.file_size, self.limits)

        def counted_start(name: str, attributes: list[str]) -> None:
            self.elements += 1
            if self.elements > self.limits.max_elements:
                raise Refused(
                    "too_many_elements",
                    f"The document has more than {self.limits.max_elements:,} paragraphs and other parts, "
                    "too many to check for patient data.",
                )
            start(name, attributes)

        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.ordered_attributes = True  # a list is cheaper than a dict
        parser.StartDoctypeDeclHandler = self._declaration
        parser.EntityDeclHandler = self._declaration
        parser.ExternalEntityRefHandler = self._declaration
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = counted_start
        if end is not None:
            parser.EndElementHandler = end
        if data is not None:
            parser.CharacterDataHandler = data
        produced, tail = 0, b""
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                produced += len(chunk)
                self.produced += len(chunk)
                if produced > info.file_size or self.produced > self.limits.max_xml_bytes:
                    raise Refused("too_large_uncompressed", "The file unpacks to more than it declares.")
                window = tail + chunk
                if any(d in window for d in _DECLARATIONS):
                    self._declaration()
                tail = window[-_TAIL:]
                self._feed(parser, chunk, final=False)
        self._feed(parser, b"", final=True)

    def _feed(self, parser: Any, data: bytes, *, final: bool) -> None:
        try:
            parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise Refused("unreadable", _UNREADABLE) from exc

    def _declaration(self, *_args: object) -> Any:
        raise Refused(
            "xml_declarations",
            "The file contains XML declarations (a DTD or entities) that Word documents do not need; "
            "it was refused because they can be used to attack the server.",
        )

    # -- WordprocessingML -------------------------------------------------------------------------

    def _start(self, name: str, _attributes: list[str]) -> None:
        namespace, _space, local = name.rpartition(" ")
        if namespace in _M_NAMESPACES:
            if local == "t":
                self.reading = "t"
            return
        if namespace not in _W_NAMESPACES:
            return
        if local == "p":
            self.depth += 1
        elif local in {"t", "delText", "instrText", "delInstrText"}:
            self.reading = local
        elif local in {"ins", "moveTo"}:
            self.inserted += 1
        elif local == "tab":
            self._add("\t", now=True, before=not self.inserted)
        elif local in {"br", "cr"}:
            self._add("\n", now=True, before=not self.inserted)

    def _end(self, name: str) -> None:
        namespace, _space, local = name.rpartition(" ")
        if namespace in _M_NAMESPACES:
            if local == "t":
                self.reading = None
            return
        if namespace not in _W_NAMESPACES:
            return
        if local in {"t", "delText", "instrText", "delInstrText"}:
            self.reading = None
        elif local in {"ins", "moveTo"}:
            self.inserted -= 1
        elif local == "p":
            self.depth -= 1
            if self.depth <= 0:
                self.depth = 0
                self._paragraph()

    def _data(self, text: str) -> None:
        if self.reading is None:
            self.unexplained += len(text.strip())
            return
        self.found += len(text)
        deleted = self.reading in {"delText", "delInstrText"}
        self._add(text, now=not deleted, before=deleted or not self.inserted)

    def _add(self, text: str, *, now: bool, before: bool) -> None:
        if now:
            self.now.append(text)
        if before:
            self.before.append(text)

    def _paragraph(self) -> None:
        now, before = "".join(self.now), "".join(self.before)
        self.now, self.before = [], []
        if self.label == _MAIN:
            self.paragraphs += 1
            place = f"paragraph {self.paragraphs}"
        else:
            place = self.label
        self.builder.add(place, now)
        if before != now:
            self.builder.add(f"{place} (text deleted with track changes)", before)

    # -- document properties ----------------------------------------------------------------------

    def _property_start(self, name: str, _attributes: list[str]) -> None:
        local = name.rpartition(" ")[2]
        if local == "HeadingPairs":  # app.xml's table of what kinds of part there are: not words
            self.skipping += 1
        self.reading = local if local in _PROPERTY_ELEMENTS and not self.skipping else None
        self.property = ""

    def _property_end(self, name: str) -> None:
        if self.reading is not None:
            self.builder.add(_PROPERTIES, self.property)
        if name.rpartition(" ")[2] == "HeadingPairs":
            self.skipping -= 1
        self.reading, self.property = None, ""

    def _property_data(self, text: str) -> None:
        if self.reading is not None:
            self.property += text


# --- PDF ---------------------------------------------------------------------------------------

_PDF_UNREADABLE = "The PDF could not be read. Save or export it again and upload it again."
# What a damaged or hostile PDF can make pypdf raise while it is read.
_PDF_ERRORS: tuple[type[Exception], ...] = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    OSError,
    zlib.error,
    RecursionError,
)


def _pdf(handle: IO[bytes], limits: Limits) -> Extracted:
    size = limits.max_stream_bytes
    overrides: dict[str, Any] = {
        "maximum_declared_stream_length": size,
        "array_based_stream_maximum_output_length": size,
        "zlib_maximum_output_length": size,
        "lzw_maximum_output_length": size,
        "run_length_maximum_output_length": size,
        "brotli_maximum_output_length": size,
        "jbig2_maximum_output_length": size,
        "image_maximum_buffer_size": size,
        "stream_decoding_work_maximum_length": 4 * size,
        "xfa_decoding_work_maximum_length": 4 * size,
        "page_tree_maximum_entries": limits.max_pages * 2,
    }
    builder = _Builder(limits)
    try:
        with apply_configuration(**overrides):
            reader = PdfReader(handle)
            if reader.is_encrypted and not reader.decrypt(""):
                raise Refused(
                    "encrypted",
                    "The PDF is protected by a password, so it cannot be checked for patient data. "
                    "Remove the password and upload it again.",
                )
            pages = len(reader.pages)
            if pages > limits.max_pages:
                raise Refused(
                    "too_many_pages",
                    f"The PDF has {pages:,} pages; files of more than {limits.max_pages:,} pages cannot be "
                    "checked for patient data.",
                )
            for number, text in _pdf_pages(reader):
                builder.add(f"page {number}", text)
            for place, text in _pdf_extras(reader, limits):
                builder.add(place, text)
    except Refused:
        raise
    except LimitReachedError as exc:
        raise Refused(
            "pdf_limits",
            "Part of the PDF unpacks to more than the limit for checking it for patient data; it was "
            "refused as a possible decompression bomb.",
        ) from exc
    except FileNotDecryptedError as exc:
        raise Refused("encrypted", "The PDF is protected by a password, so it cannot be checked.") from exc
    except _PDF_ERRORS as exc:
        raise Refused("unreadable", _PDF_UNREADABLE) from exc
    return builder.done()


def _pdf_pages(reader: Any) -> Iterator[tuple[int, str]]:
    for number, page in enumerate(reader.pages, start=1):
        # Decode the page's content streams first: pypdf's text extraction skips a stream it
        # cannot decode, and a stream refused by the limits must refuse the file, not pass it.
        contents = page.get_contents()
        if contents is not None:
            contents.get_data()
        yield number, page.extract_text() or ""


def _pdf_extras(reader: Any, limits: Limits) -> Iterator[tuple[str, str]]:
    """The text a PDF holds outside its pages' content: its title, author, subject and keywords,
    form fields' names and values, and annotations (comments, notes, widgets) with their contents
    and authors.

    The form's field tree is walked without recursion, each object once, and at most
    `max_elements` fields and annotations are looked at: a hostile tree cannot loop or explode.
    """
    seen: set[int] = set()
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else None
    if isinstance(info, DictionaryObject):
        for key in ("/Title", "/Author", "/Subject", "/Keywords"):
            yield "the document properties", _pdf_string(info.get(key))

    def visit(reference: Any) -> Any:
        key = reference.idnum if isinstance(reference, IndirectObject) else id(reference)
        if key in seen:
            return None
        seen.add(key)
        if len(seen) > limits.max_elements:
            raise Refused(
                "pdf_limits",
                f"The PDF has more than {limits.max_elements:,} form fields and comments, too many to "
                "check for patient data.",
            )
        value = reference.get_object()
        if value is None or isinstance(value, NullObject):  # a dangling reference: nothing there
            return None
        if not isinstance(value, DictionaryObject):
            raise Refused("unreadable", _PDF_UNREADABLE)
        return value

    form = reader.trailer["/Root"].get("/AcroForm")
    form = form.get_object() if form is not None else None
    pending = list(_pdf_array(form.get("/Fields"))) if isinstance(form, DictionaryObject) else []
    while pending:
        field = visit(pending.pop())
        if field is None:
            continue
        for key in ("/T", "/TU", "/V", "/DV"):
            yield "a form field", _pdf_string(field.get(key))
        pending.extend(_pdf_array(field.get("/Kids")))
    for number, page in enumerate(reader.pages, start=1):
        for reference in _pdf_array(page.get("/Annots")):
            annotation = visit(reference)
            if annotation is None:
                continue
            widget = annotation.get("/Subtype") == "/Widget"
            place = "a form field" if widget else f"a comment on page {number}"
            for key in ("/Contents", "/T", "/Subj", "/V", "/DV"):
                yield place, _pdf_string(annotation.get(key))


def _pdf_array(value: Any) -> list[Any]:
    """A PDF array (an absent one is empty); anything else refuses the file as unreadable."""
    if value is None:
        return []
    value = value.get_object()
    if not isinstance(value, ArrayObject):
        raise Refused("unreadable", _PDF_UNREADABLE)
    return list(value)


def _pdf_string(value: Any) -> str:
    """The text of a value from a PDF dictionary: a string, a name, a number or a list of them."""
    if value is None:
        return ""
    value = value.get_object() if isinstance(value, PdfObject) else value
    if isinstance(value, ArrayObject):
        return " ".join(_pdf_string(item) for item in value[:1000])
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return ""
