"""Forms for flagging and moderating. They check the shape of input; the services decide."""

from __future__ import annotations

from django import forms

from coproduce.governance import moderation
from coproduce.governance.models import WatchedWord


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why should a moderator look at this?",
        choices=moderation.MEMBER_REASONS,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose why you are flagging this.",
            "invalid_choice": "Choose one of the reasons in the list.",
        },
    )
    note = forms.CharField(
        label="Anything the moderators should know",
        required=False,
        max_length=moderation.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only moderators see this. Do not include any patient-identifiable information.",
        error_messages={"max_length": "The note can have at most 1,000 characters (it has %(show_value)s)."},
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=moderation.REASON_MAX_LENGTH,
        help_text="The author and other moderators will see this.",
        error_messages={
            "required": "Give a reason: the author and other moderators will see it.",
            "max_length": "The reason can have at most 300 characters (it has %(show_value)s).",
        },
    )


class WatchedWordForm(forms.Form):
    phrase = forms.CharField(
        label="Word or phrase",
        max_length=moderation.PHRASE_MAX_LENGTH,
        help_text="Matched as whole words, whatever the case.",
        error_messages={
            "required": "Enter a word or phrase to watch for.",
            "max_length": "The phrase can have at most 100 characters (it has %(show_value)s).",
        },
    )
    action = forms.ChoiceField(
        label="What happens to a post that uses it",
        choices=WatchedWord.Action.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what happens to a post that uses it.",
            "invalid_choice": "Choose one of the options in the list.",
        },
    )


class SanctionForm(forms.Form):
    WARN, SUSPEND, UNSUSPEND = "warn", "suspend", "unsuspend"

    action = forms.ChoiceField(
        label="What do you want to do?",
        choices=[
            (WARN, "Warn them"),
            (SUSPEND, "Suspend them: they can read but not post"),
            (UNSUSPEND, "End their suspension now"),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what you want to do.",
            "invalid_choice": "Choose one of the options in the list.",
        },
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=moderation.SANCTION_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The member is told this. Needed to warn or suspend.",
        error_messages={
            "max_length": "The reason can have at most 2,000 characters (it has %(show_value)s)."
        },
    )
    days = forms.IntegerField(
        label="Number of days",
        required=False,
        min_value=1,
        max_value=moderation.SUSPENSION_MAX_DAYS,
        help_text="For a suspension: from 1 to 365 days.",
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-4"}),
        error_messages={
            "invalid": "Enter the number of days as a whole number, like 7.",
            "min_value": "Suspend for at least 1 day.",
            "max_value": "Suspend for at most 365 days.",
        },
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == self.SUSPEND and data.get("days") is None and "days" not in self.errors:
            self.add_error("days", "Enter how many days the suspension lasts.")
        return data
