"""Checks on rendered pages that catch what axe would: labels, one h1, unique ids, no inline styles.

Labels, styles and scripts are checked inside <main> (what the account templates render); the h1 count
and id uniqueness over the whole page, since the site's layout shares them.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from typing import Protocol


class _Response(Protocol):
    content: bytes


LABELLED = {"input", "select", "textarea"}
UNLABELLED_TYPES = {"hidden", "submit", "button", "image", "reset"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.h1 = 0
        self.problems: list[str] = []
        self._in_label = 0
        self._in_main = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[str(attributes["id"])] += 1
        if tag == "h1":
            self.h1 += 1
        if tag == "main":
            self._in_main += 1
        if self._in_main:
            self._check(tag, attributes)

    def _check(self, tag: str, attributes: dict[str, str | None]) -> None:
        if "style" in attributes:
            self.problems.append(f"inline style on <{tag}>")
        data_only = attributes.get("type") == "application/json"
        if tag == "script" and "src" not in attributes and not data_only and not attributes.get("nonce"):
            self.problems.append("inline script without a nonce")
        if tag == "label":
            self._in_label += 1
            if attributes.get("for"):
                self.label_for.add(str(attributes["for"]))
        if tag in LABELLED and attributes.get("type") not in UNLABELLED_TYPES:
            self.controls.append({**attributes, "_tag": tag, "_wrapped": "yes" if self._in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label -= 1
        if tag == "main":
            self._in_main -= 1


def page_problems(response: _Response) -> list[str]:
    page = _Page()
    page.feed(response.content.decode())
    problems = list(page.problems)
    if page.h1 != 1:
        problems.append(f"{page.h1} h1 elements")
    problems += [f"duplicate id {i!r}" for i, n in page.ids.items() if n > 1]
    for control in page.controls:
        labelled = (
            control.get("id") in page.label_for
            or control.get("aria-label")
            or control.get("aria-labelledby")
            or control["_wrapped"]
        )
        if not labelled:
            problems.append(f"unlabelled <{control['_tag']} name={control.get('name')!r}>")
    return problems
