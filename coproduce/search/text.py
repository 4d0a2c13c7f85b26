"""Text handling shared by indexing and querying: plain text, words, and safe highlighted snippets."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

from django.utils.safestring import SafeString, mark_safe

# Private-use characters the engines put around matched words in snippets. They are removed from
# everything indexed, so in a snippet they can only be the engine's markers.
MARK_START = "\ue000"
MARK_END = "\ue001"

MAX_QUERY_CHARS = 1000
MAX_QUERY_WORDS = 32
MAX_WORD_CHARS = 64

_WORD = re.compile(r"[^\W_]+")
# C0/C1 controls except tab and newline, the private-use characters the engines use as markers and
# stand-ins, and other invisible format characters.
_UNWANTED = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ue000-\ue00f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
_MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "table", "blockquote", "pre", "hr", "section", "article", "dd", "dt",
}  # fmt: skip


def clean(text: str) -> str:
    """Text as stored for searching: NFC, without control characters or snippet markers."""
    return _UNWANTED.sub(" ", unicodedata.normalize("NFC", text))


def words(text: str) -> list[str]:
    """The words (runs of letters and digits) of a text: all any engine is ever asked to match."""
    return _WORD.findall(unicodedata.normalize("NFC", text))


def query_words(query: str) -> list[str]:
    """The words of what someone typed into a search box, bounded in number and length."""
    found = words(clean(query[:MAX_QUERY_CHARS]))
    return [word[:MAX_WORD_CHARS] for word in found[:MAX_QUERY_WORDS]]


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "template"}:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "template"}:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The readable text of (sanitised) HTML, one line per block."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    text = "".join(extractor.parts)
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\s*\n\s*", "\n", text).strip()


def highlight(snippet: str) -> SafeString:
    """An engine's snippet as HTML: the text escaped, and only the marked words inside <mark>."""
    escaped = html.escape(snippet, quote=True)
    marked = _MARKED.sub(r"<mark>\1</mark>", escaped)
    return mark_safe(marked.replace(MARK_START, "").replace(MARK_END, ""))  # noqa: S308  (escaped above)
