"""Three-way merges of page bodies, with examples and hypothesis properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from coproduce.wiki.merge import conflict_labels, merge

THEIRS, YOURS = conflict_labels(current_revision=5, base_revision=3)


def _merge(base: str, theirs: str, yours: str) -> tuple[str, bool]:
    result = merge(base, theirs, yours, their_label=THEIRS, your_label=YOURS)
    return result.text, result.conflicted


def test_conflict_labels_name_the_revisions() -> None:
    assert (THEIRS, YOURS) == ("revision 5 (saved meanwhile)", "your edit (based on revision 3)")


def test_disjoint_edits_merge_cleanly() -> None:
    assert _merge("a\nb\nc\nd\n", "A\nb\nc\nd\n", "a\nb\nc\nD\n") == ("A\nb\nc\nD\n", False)


def test_overlapping_edits_conflict_with_labelled_markers() -> None:
    text, conflicted = _merge("a\nb\nc\n", "a\nB1\nc\n", "a\nB2\nc\n")

    assert conflicted
    assert text == f"a\n<<<<<<< {THEIRS}\nB1\n=======\nB2\n>>>>>>> {YOURS}\nc\n"


def test_a_missing_final_newline_is_kept_and_markers_start_on_their_own_line() -> None:
    assert _merge("a\nb\nc", "A\nb\nc", "a\nb\nC") == ("A\nb\nC", False)
    text, conflicted = _merge("a", "b", "c")
    assert conflicted
    assert text == f"<<<<<<< {THEIRS}\nb\n=======\nc\n>>>>>>> {YOURS}\n"


def test_only_one_side_changing_takes_that_side() -> None:
    assert _merge("a\nb\n", "a\nb\n", "a\nB\n") == ("a\nB\n", False)
    assert _merge("a\nb\n", "x\nb\n", "a\nb\n") == ("x\nb\n", False)


def test_long_pages_full_of_repeated_lines_still_merge_cleanly() -> None:
    base = "".join(f"- item {n}\n\n" for n in range(400))
    theirs = base.replace("- item 10\n", "- item ten\n")
    yours = base.replace("- item 390\n", "- item three hundred and ninety\n")

    text, conflicted = _merge(base, theirs, yours)

    assert not conflicted
    assert "- item ten\n" in text
    assert "- item three hundred and ninety\n" in text


# --- properties ---------------------------------------------------------------------------------

# Each edit replaces a range of base lines with new, distinct lines (possibly none: a deletion;
# or an empty range: an insertion). Distinct lines keep the diff unambiguous.


@st.composite
def _disjoint_edits(
    draw: st.DrawFn,
) -> tuple[list[str], tuple[int, int, list[str]], tuple[int, int, list[str]]]:
    size = draw(st.integers(min_value=3, max_value=40))
    base = [f"base line {n}\n" for n in range(size)]
    # First range [a1, a2), then at least one untouched line, then [b1, b2).
    a1 = draw(st.integers(min_value=0, max_value=size - 2))
    a2 = draw(st.integers(min_value=a1, max_value=min(size - 2, a1 + 5)))
    b1 = draw(st.integers(min_value=a2 + 1, max_value=size - 1))
    b2 = draw(st.integers(min_value=b1, max_value=min(size, b1 + 5)))
    first = [f"theirs {n}\n" for n in range(draw(st.integers(0, 4)))]
    second = [f"yours {n}\n" for n in range(draw(st.integers(0, 4)))]
    # An edit must change something; pure insertions must not sit at the same spot.
    if a1 == a2 and not first:
        first = ["theirs inserted\n"]
    if b1 == b2 and not second:
        second = ["yours inserted\n"]
    return base, (a1, a2, first), (b1, b2, second)


def _apply(lines: list[str], start: int, end: int, new: list[str]) -> list[str]:
    return lines[:start] + new + lines[end:]


@settings(max_examples=300, deadline=None)
@given(_disjoint_edits(), st.booleans())
def test_disjoint_edits_always_merge_with_both_changes_and_no_conflict(
    edits: tuple[list[str], tuple[int, int, list[str]], tuple[int, int, list[str]]], swap: bool
) -> None:
    base, (a1, a2, first), (b1, b2, second) = edits
    theirs = _apply(base, a1, a2, first)
    yours = _apply(base, b1, b2, second)
    if swap:
        theirs, yours = yours, theirs
    expected = base[:a1] + first + base[a2:b1] + second + base[b2:]

    text, conflicted = _merge("".join(base), "".join(theirs), "".join(yours))

    assert not conflicted
    assert text == "".join(expected)


@settings(max_examples=200, deadline=None)
@given(_disjoint_edits())
def test_the_same_edit_on_both_sides_merges_cleanly_once(
    edits: tuple[list[str], tuple[int, int, list[str]], tuple[int, int, list[str]]],
) -> None:
    base, (a1, a2, first), _ = edits
    edited = "".join(_apply(base, a1, a2, first))

    assert _merge("".join(base), edited, edited) == (edited, False)


@st.composite
def _overlapping_edits(draw: st.DrawFn) -> tuple[list[str], int, int, list[str], list[str]]:
    size = draw(st.integers(min_value=1, max_value=30))
    base = [f"base line {n}\n" for n in range(size)]
    start = draw(st.integers(min_value=0, max_value=size - 1))
    end = draw(st.integers(min_value=start + 1, max_value=min(size, start + 4)))
    theirs = [f"theirs {n}\n" for n in range(draw(st.integers(1, 3)))]
    yours = [f"yours {n}\n" for n in range(draw(st.integers(1, 3)))]
    return base, start, end, theirs, yours


@settings(max_examples=300, deadline=None)
@given(_overlapping_edits())
def test_different_edits_to_the_same_lines_conflict_showing_both_versions(
    edits: tuple[list[str], int, int, list[str], list[str]],
) -> None:
    base, start, end, their_lines, your_lines = edits
    theirs = "".join(_apply(base, start, end, their_lines))
    yours = "".join(_apply(base, start, end, your_lines))

    text, conflicted = _merge("".join(base), theirs, yours)

    assert conflicted
    conflict = f"<<<<<<< {THEIRS}\n{''.join(their_lines)}=======\n{''.join(your_lines)}>>>>>>> {YOURS}\n"
    assert conflict in text
    assert text == "".join(base[:start]) + conflict + "".join(base[end:])
