"""Page titles and the slugs made from them: pure functions, no database.

A title is cleaned before it is stored or linked to: Unicode NFC, every kind of whitespace
(including line and paragraph separators) becomes one space, and control, format (zero-width,
joiners, bidirectional marks and overrides, soft hyphen, byte-order mark), surrogate and
private-use characters are removed. A slug is `slugify(title, allow_unicode=True)`, so titles in
any script keep readable slugs; titles that make no slug at all (only emoji or punctuation)
fall back to "page". The services de-duplicate slugs within a space ("-2", "-3", ...).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Container

from django.utils.text import slugify

TITLE_MAX_LENGTH = 200
SLUG_BASE_MAX_LENGTH = 100  # leaves room in the 120-character field for "-NNN"
FALLBACK_SLUG = "page"
# Slugs that would collide with the wiki's own URLs under /spaces/<space>/wiki/.
RESERVED_SLUGS = frozenset({"new", "templates", "watch", "attachments", "search"})

_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
_SPACES = re.compile(r"\s+")


def clean_title(title: str) -> str:
    """The title with invisible and control characters removed and whitespace collapsed."""
    title = unicodedata.normalize("NFC", title)
    title = _SPACES.sub(" ", title.replace("\u2028", " ").replace("\u2029", " "))
    kept = "".join(ch for ch in title if unicodedata.category(ch) not in _REMOVED_CATEGORIES)
    return _SPACES.sub(" ", kept).strip()


def slug_base(title: str) -> str:
    """The slug a (cleaned) title asks for, before de-duplication; never empty."""
    slug = slugify(title, allow_unicode=True)
    if len(slug) > SLUG_BASE_MAX_LENGTH:
        slug = slug[:SLUG_BASE_MAX_LENGTH].rstrip("-_")
    return slug or FALLBACK_SLUG


def free_slug(base: str, taken: Container[str]) -> str:
    """`base` if it is free and not reserved, else the first free of base-2, base-3, ..."""
    if base not in taken and base not in RESERVED_SLUGS:
        return base
    return next(f"{base}-{n}" for n in itertools.count(2) if f"{base}-{n}" not in taken)
