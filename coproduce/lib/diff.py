"""Differences between two texts: unified diff, side-by-side rows with word-level highlight, sizes.

Everything returned as HTML is escaped here; callers mark it safe as it is.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from html import escape
from typing import Literal

type RowKind = Literal["equal", "replace", "insert", "delete"]

# Above this many characters on both sides, changed lines are compared as whole lines, not
# word by word, and change sizes are counted by line: difflib is quadratic in the worst case.
WORD_DIFF_MAX_CHARS = 5_000


@dataclass(frozen=True)
class DiffRow:
    kind: RowKind
    left_number: int | None  # 1-based line number in the old text, None on an inserted row
    right_number: int | None  # 1-based line number in the new text, None on a deleted row
    left_html: str
    right_html: str


def unified(a: str, b: str, *, from_label: str, to_label: str) -> str:
    """A unified diff (plain text, not HTML) with three lines of context."""
    lines = difflib.unified_diff(
        a.splitlines(), b.splitlines(), fromfile=from_label, tofile=to_label, lineterm=""
    )
    return "\n".join(lines) + "\n" if a != b else ""


def side_by_side(a: str, b: str) -> list[DiffRow]:
    """Every line of both texts as rows; changed line pairs carry <del>/<ins> around changed words."""
    left, right = a.splitlines(), b.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                DiffRow("equal", i + 1, j + 1, escape(left[i]), escape(right[j]))
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            left_html, right_html = _word_diff(left[i1 + k], right[j1 + k])
            rows.append(DiffRow("replace", i1 + k + 1, j1 + k + 1, left_html, right_html))
        rows.extend(
            DiffRow("delete", i + 1, None, f"<del>{escape(left[i])}</del>", "")
            for i in range(i1 + paired, i2)
        )
        rows.extend(
            DiffRow("insert", None, j + 1, "", f"<ins>{escape(right[j])}</ins>")
            for j in range(j1 + paired, j2)
        )
    return rows


def change_size(a: str, b: str) -> tuple[int, int]:
    """(characters added, characters removed) going from `a` to `b`.

    Lines are matched first; inside a changed block characters are matched, so fixing a typo
    counts as a character or two, not as the whole line.
    """
    added = removed = 0
    left, right = a.splitlines(keepends=True), b.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = "".join(left[i1:i2]), "".join(right[j1:j2])
        if tag == "equal":
            continue
        if tag == "replace" and len(old) + len(new) <= WORD_DIFF_MAX_CHARS:
            chars = difflib.SequenceMatcher(None, old, new, autojunk=False)
            same = sum(block.size for block in chars.get_matching_blocks())
            added, removed = added + len(new) - same, removed + len(old) - same
        else:
            added, removed = added + len(new), removed + len(old)
    return added, removed


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def _word_diff(old: str, new: str) -> tuple[str, str]:
    if len(old) + len(new) > WORD_DIFF_MAX_CHARS:
        return f"<del>{escape(old)}</del>", f"<ins>{escape(new)}</ins>"
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    left: list[str] = []
    right: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old_part, new_part = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if tag == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if old_part:
            left.append(f"<del>{old_part}</del>")
        if new_part:
            right.append(f"<ins>{new_part}</ins>")
    return "".join(left), "".join(right)
