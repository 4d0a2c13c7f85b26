"""Template helpers for the wiki: diff highlights that do not rely on colour alone."""

from __future__ import annotations

import re

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# The diff module escapes every character of the text, so the only tags in its HTML are its own
# <del>/<ins> marks; a "<del>" the author typed arrives as "&lt;del&gt;" and is not matched here.
_MARK = re.compile(r"<(del|ins)(\s[^<>]*)?>|</(del|ins)>")
_SAY = {"del": "removed", "ins": "added"}


def _mark(match: re.Match[str]) -> str:
    if match.group(1):
        word = _SAY[match.group(1)]
        return f'{match.group(0)}<span class="nhsuk-u-visually-hidden">[{word}: </span>'
    word = _SAY[match.group(3)]
    return f'<span class="nhsuk-u-visually-hidden"> end {word}]</span>{match.group(0)}'


@register.filter
def diff_marks(html: str) -> SafeString:
    """A line of diff HTML with words for screen readers inside each <del> and <ins>."""
    return mark_safe(_MARK.sub(_mark, str(html)))  # noqa: S308  (input is the diff module's escaped HTML)
