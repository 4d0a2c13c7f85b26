from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms

from coproduce.communities.access import Viewer, readable_spaces
from coproduce.communities.models import Space
from coproduce.search.text import MAX_QUERY_CHARS, clean


@dataclass(frozen=True)
class Filters:
    query: str = ""
    space: Space | None = None
    author: str | None = None
    since: date | None = None
    until: date | None = None


def _date_field(label: str, which: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": f"Enter the {which} date as a real date, like 2008-05-15."},
    )


class SearchInput(forms.TextInput):
    input_type = "search"


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search for",
        widget=SearchInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Enter the words to search for."},
    )
    space = forms.ChoiceField(label="Space", required=False)
    author = forms.CharField(label="Written by (username)", max_length=150, required=False)
    since = _date_field("Changed on or after", "start")
    until = _date_field("Changed on or before", "end")

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spaces = {space.slug: space for space in readable_spaces(viewer)}
        choices = [("", "All the spaces you can read"), *((s.slug, s.name) for s in self.spaces.values())]
        self.fields["space"].choices = choices  # type: ignore[attr-defined]

    def clean_q(self) -> str:
        return " ".join(clean(str(self.cleaned_data.get("q") or "")[:MAX_QUERY_CHARS]).split())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date must be the same as or after the start date.")
        return data

    def filters(self) -> Filters:
        """The valid filters; invalid ones are shown as errors and left out of the search."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return Filters(
            query=data.get("q") or "",
            space=self.spaces.get(data.get("space") or ""),
            author=data.get("author") or None,
            since=data.get("since"),
            until=data.get("until"),
        )
