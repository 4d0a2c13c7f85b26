"""Forms for comments and closing. They check the shape of input; the services decide."""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.conf import settings
from django.utils import timezone

from coproduce.discussions.services import OUTCOME_MAX_CHARS, TOO_FAR_AHEAD, end_of_day, latest_close_day
from coproduce.lib.confirm import ConfirmableForm

COMMENT_HELP = (
    "You can use Markdown; mention someone with @username. "
    "Do not include any patient-identifiable information."
)


class CommentForm(ConfirmableForm):
    body = forms.CharField(
        label="Your comment",
        help_text=COMMENT_HELP,
        strip=False,  # leading spaces mean something in Markdown
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "true"}),
        error_messages={"required": "Enter your comment."},
    )
    parent = forms.IntegerField(label="Reply", required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: object, label: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["body"].label = label

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        limit = settings.COMMENT_MAX_CHARS
        if len(body) > limit:
            raise forms.ValidationError(
                f"Your comment is too long: it can have at most {limit:,} characters (it has {len(body):,})."
            )
        return body


class CommentEditForm(CommentForm):
    parent = None  # type: ignore[assignment]


class DateInput(forms.DateInput):
    input_type = "date"


class CloseForm(forms.Form):
    outcome = forms.CharField(
        label="What the discussion concluded",
        help_text=(
            "A short summary of the outcome. Everyone who took part is told, and it is kept with the page."
        ),
        required=False,
        max_length=OUTCOME_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "true"}),
        error_messages={
            "max_length": (
                f"The outcome can have at most {OUTCOME_MAX_CHARS:,} characters (it has %(show_value)s)."
            )
        },
    )
    close_on = forms.DateField(
        label="Close it by itself at the end of a day",
        help_text=(
            "Leave empty to close the discussion now. With a date, it stays open until the end of that day."
        ),
        required=False,
        widget=DateInput,
        error_messages={"invalid": "Enter a real date, such as 31 5 2026."},
    )

    def clean_close_on(self) -> date | None:
        """Today or later, and no more than CLOSE_YEARS_AHEAD years on (as the service checks)."""
        day: date | None = self.cleaned_data.get("close_on")
        today = timezone.localdate()
        if day is not None and day < today:
            raise forms.ValidationError("Choose today or a later day.")
        if day is not None and day > latest_close_day(today):
            raise forms.ValidationError(TOO_FAR_AHEAD)
        return day

    def clean(self) -> dict[str, object] | None:
        data = super().clean()
        if data is not None and not data.get("close_on") and not self.errors and not data.get("outcome"):
            self.add_error("outcome", "Write what the discussion concluded.")
        return data

    @property
    def close_at(self) -> datetime | None:
        """The end of the chosen day, in the site's time zone (None: close now)."""
        day = self.cleaned_data.get("close_on")
        return end_of_day(day) if day is not None else None
