"""The notification settings form: one radio group per kind."""

from __future__ import annotations

from typing import Any

from django import forms

from coproduce.notifications.models import Frequency, Kind


class PreferencesForm(forms.Form):
    def __init__(self, data: Any = None, *, initial: dict[str, str]) -> None:
        super().__init__(data, initial=initial)
        for kind in Kind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Frequency.choices,
                widget=forms.RadioSelect,
                error_messages={"required": f"Choose how often to hear about: {kind.label.lower()}."},
            )


class UnsubscribeForm(forms.Form):
    """Nothing to fill in: the button is the confirmation."""
