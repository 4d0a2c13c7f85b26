"""Watched words: the phrases moderators keep, and screening text members typed against them.

`screen` is called by every service that publishes text members typed (comments, pages) before
it saves: a blocked word refuses the post with a form error; "hold" and "flag" tell the caller
to save the post held for review, or to save it and raise an automatic flag
(`coproduce.governance.moderation.flag_raise_automatic`).

Phrases are stored as `normalise_phrase` leaves them; moderators add and remove them with
`watched_word_add` and `watched_word_remove` in coproduce.governance.moderation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from coproduce.governance.models import WatchedWord

Action = WatchedWord.Action


@dataclass(frozen=True)
class Screening:
    """What the watched words say about a submission: `action` is None, HOLD or FLAG."""

    action: str | None = None
    phrases: list[str] = field(default_factory=list)

    @property
    def hold(self) -> bool:
        return self.action == Action.HOLD

    @property
    def flag(self) -> bool:
        return self.action == Action.FLAG


def normalise_phrase(text: str) -> str:
    """Lower case, compatibility-folded, single spaces: how phrases are stored and matched."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = "".join(c for c in folded if unicodedata.category(c) != "Cf")  # zero-width tricks
    return " ".join(folded.split())


def screen(fields: Mapping[str, str]) -> Screening:
    """Check the fields against the watched words; raise ValidationError for a blocked one.

    Matching is by whole words, ignoring case, accents compatibility forms and zero-width
    characters, so "Idiot", "IDIOT" and "id\u200biot" all match the phrase "idiot".
    """
    words = list(WatchedWord.objects.values_list("phrase", "action"))
    if not words:
        return Screening()
    errors: dict[str, list[str]] = {}
    found: dict[str, str] = {}
    for name, text in fields.items():
        haystack = normalise_phrase(text)
        for phrase, action in words:
            if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", haystack):
                found[phrase] = action
                if action == Action.BLOCK:
                    errors.setdefault(name, []).append(
                        f"“{phrase}” is not allowed in this community. Change the wording and try again."
                    )
    if errors:
        raise ValidationError(errors)
    if not found:
        return Screening()
    action = Action.HOLD if Action.HOLD in found.values() else Action.FLAG
    return Screening(action=action, phrases=sorted(found))
