"""Three-way merge of page bodies, line by line (merge3).

`merge(base, theirs, yours)` combines the edits that turned `base` into `theirs` (saved by
someone else meanwhile) and into `yours` (being saved now). Edits to different lines, with at
least one untouched line between them, merge cleanly; the same edit made on both sides counts
once; different edits to the same lines are a conflict, written with the usual markers
labelled with revision numbers so the person can resolve them in the editor.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from merge3 import Merge3


@dataclass(frozen=True)
class MergeResult:
    text: str
    conflicted: bool


def conflict_labels(*, current_revision: int, base_revision: int) -> tuple[str, str]:
    """The labels after <<<<<<< and >>>>>>>: the saved revision first, then the person's edit."""
    return (
        f"revision {current_revision} (saved meanwhile)",
        f"your edit (based on revision {base_revision})",
    )


def merge(base: str, theirs: str, yours: str, *, their_label: str, your_label: str) -> MergeResult:
    ends_with_newline = _merged_final_newline(base, theirs, yours)
    merger = Merge3(_lines(base), _lines(theirs), _lines(yours), sequence_matcher=_Matcher)
    merged = merger.merge_lines(
        name_a=their_label,
        name_b=your_label,
        start_marker="<<<<<<<",
        mid_marker="=======",
        end_marker=">>>>>>>",
    )
    text = "".join(merged)
    conflicted = any(kind == "conflict" for kind, *_ in merger.merge_regions())
    if not ends_with_newline and text.endswith("\n") and not conflicted:
        text = text[:-1]
    return MergeResult(text=text, conflicted=conflicted)


class _Matcher:
    """difflib's matcher without its "popular lines are junk" heuristic, which misaligns long
    pages full of blank lines and list markers."""

    def __init__(
        self,
        isjunk: Callable[[str], bool] | None = None,
        a: Sequence[str] = "",
        b: Sequence[str] = "",
        autojunk: bool = False,
    ) -> None:
        self._matcher = difflib.SequenceMatcher(isjunk, a, b, autojunk=False)

    def get_matching_blocks(self) -> list[tuple[int, int, int]]:
        return [(m.a, m.b, m.size) for m in self._matcher.get_matching_blocks()]


def _lines(text: str) -> list[str]:
    """Lines with their endings; a missing final newline is added so markers start on a new line."""
    return (text if text.endswith("\n") or not text else text + "\n").splitlines(keepends=True)


def _merged_final_newline(base: str, theirs: str, yours: str) -> bool:
    """Whichever side changed whether the text ends with a newline wins (yours, if both did)."""
    base_end, their_end, your_end = (t.endswith("\n") for t in (base, theirs, yours))
    return your_end if your_end != base_end or their_end == base_end else their_end
