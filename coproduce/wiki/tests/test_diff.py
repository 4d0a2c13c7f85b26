"""Differences between revisions: unified text, side-by-side rows with word highlight, sizes."""

from __future__ import annotations

from coproduce.lib.diff import DiffRow, change_size, side_by_side, unified


def test_unified_diff_names_both_revisions_and_shows_changed_lines() -> None:
    text = unified("one\ntwo\nthree\n", "one\n2\nthree\n", from_label="Revision 1", to_label="Revision 2")

    assert text.splitlines() == [
        "--- Revision 1",
        "+++ Revision 2",
        "@@ -1,3 +1,3 @@",
        " one",
        "-two",
        "+2",
        " three",
    ]


def test_unified_diff_of_identical_texts_is_empty() -> None:
    assert unified("same\n", "same\n", from_label="a", to_label="b") == ""


def test_side_by_side_pairs_changed_lines_and_highlights_the_changed_words() -> None:
    rows = side_by_side("Meet on Monday at ten.\nKeep\n", "Meet on Tuesday at ten.\nKeep\n")

    assert rows == [
        DiffRow(
            "replace",
            1,
            1,
            "Meet on <del>Monday</del> at ten.",
            "Meet on <ins>Tuesday</ins> at ten.",
        ),
        DiffRow("equal", 2, 2, "Keep", "Keep"),
    ]


def test_side_by_side_shows_inserted_and_deleted_lines_with_their_numbers() -> None:
    rows = side_by_side("a\nb\nc\n", "a\nc\nd\n")

    assert [(r.kind, r.left_number, r.right_number) for r in rows] == [
        ("equal", 1, 1),
        ("delete", 2, None),
        ("equal", 3, 2),
        ("insert", None, 3),
    ]
    assert rows[1].left_html == "<del>b</del>"
    assert rows[1].right_html == ""
    assert rows[3].right_html == "<ins>d</ins>"


def test_a_replaced_block_of_unequal_length_pairs_what_it_can() -> None:
    rows = side_by_side("x\n", "y\nz\n")

    assert [(r.kind, r.left_number, r.right_number) for r in rows] == [("replace", 1, 1), ("insert", None, 2)]


def test_everything_in_the_rows_is_escaped() -> None:
    rows = side_by_side('<script>alert("a")</script>\n& same\n', '<script>alert("b")</script>\n& same\n')

    html = "".join(r.left_html + r.right_html for r in rows)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&amp; same" in html
    assert rows[0].left_html.count("<del>") == 1


def test_very_long_changed_lines_are_marked_whole_instead_of_word_by_word() -> None:
    old, new = "word " * 2000, "term " * 2000

    [row] = side_by_side(old, new)

    assert row.left_html == f"<del>{old}</del>"
    assert row.right_html == f"<ins>{new}</ins>"


def test_change_size_counts_characters_not_whole_lines() -> None:
    assert change_size("The plan.\n", "The care plan.\n") == (5, 0)
    assert change_size("a\nb\nc\n", "a\nc\n") == (0, 2)
    assert change_size("", "hello") == (5, 0)
    assert change_size("same", "same") == (0, 0)
