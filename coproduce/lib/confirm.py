"""Warn-and-confirm in HTML forms: the guard's warning shown, what was typed kept.

A form that saves a person's text in a space mixes in `ConfirmableForm`, which adds a
`confirm` box, hidden until the guard warns. The view runs its service through
`attempt_confirmable`: when the service raises `NeedsConfirmation`, the form is shown again
with everything typed, a warning naming what was found and where (template
"governance/_guard_warning.html"), and the box "I have checked: this is not about an
identifiable person — save anyway"; ticking it and saving again passes `confirmed=True`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import QueryDict

from coproduce.governance.policy import NeedsConfirmation
from coproduce.governance.safety import describe
from coproduce.lib.views import attempt

CONFIRM_LABEL = "I have checked: this is not about an identifiable person \u2014 save anyway"
CONFIRM_ERROR = (
    "Check what was found: remove it if it could identify a person, "
    "or tick the box to confirm it does not and save anyway."
)


class ConfirmableForm(forms.Form):
    """Adds the `confirm` box (last, hidden until needed); `guard_warnings` lists (field, what)."""

    confirm = forms.BooleanField(label=CONFIRM_LABEL, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard_warnings: list[tuple[str, str]] = []
        self.fields["confirm"] = self.fields.pop("confirm")  # after the fields it is about
        if self.is_bound and self.fields["confirm"].widget.value_from_datadict(
            self.data, self.files, self.add_prefix("confirm")
        ) not in (None, "", "False", "false", "0", "off"):
            self._show_confirm()

    @property
    def confirmed(self) -> bool:
        """Whether the box was ticked (call after is_valid)."""
        return bool(self.cleaned_data.get("confirm"))

    def values(self) -> dict[str, Any]:
        """The cleaned data without the box, ready to pass to a service."""
        return {name: value for name, value in self.cleaned_data.items() if name != "confirm"}

    def ask_to_confirm(self, warning: NeedsConfirmation) -> None:
        """Show the warning and the box, keeping everything typed."""
        self._show_confirm()
        self.guard_warnings = [
            (str(self.fields[name].label) if name in self.fields else name, describe(found))
            for name, found in warning.findings.items()
        ]
        self.add_error("confirm", CONFIRM_ERROR)

    def full_clean(self) -> None:
        super().full_clean()
        if self.errors:  # refused as typed: the box comes back unticked (see `untick`)
            self.untick()

    def untick(self) -> None:
        """Show the box unticked again: a confirmation covers only the text it was given for."""
        name = self.add_prefix("confirm")
        if isinstance(self.data, QueryDict):  # keeps fields with several values
            data = self.data.copy()
            data.pop(name, None)
            self.data = data
        else:
            self.data = {key: self.data[key] for key in self.data if key != name}

    def _show_confirm(self) -> None:
        self.fields["confirm"].widget = forms.CheckboxInput()


def attempt_confirmable[T](form: ConfirmableForm, action: Callable[[], T]) -> T | None:
    """`lib.views.attempt`, plus: a guard warning asks for confirmation on the form."""
    warning: NeedsConfirmation | None = None

    def run() -> T | None:
        nonlocal warning
        try:
            return action()
        except NeedsConfirmation as exc:
            warning = exc
            return None

    result = attempt(form, run)
    if warning is not None:
        form.ask_to_confirm(warning)
    elif result is None and form.is_bound:
        form.untick()  # refused for another reason: what is sent next must be looked at afresh
    return result
