"""The form for a space's guard policy: block or warn for each kind that may be changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from coproduce.governance.policy import configurable_kinds
from coproduce.governance.safety import KIND_LABELS, Action

_CHOICES = (
    ("block", "Block: refuse to save it"),
    ("warn", "Warn: ask the person to check, and record that they confirmed"),
)


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind, kind.replace("_", " "))
    return label[:1].upper() + label[1:]


class GuardPolicyForm(forms.Form):
    """One radio group per kind a space may change (see governance.policy)."""

    def __init__(self, *args: Any, policy: Mapping[str, Action], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in configurable_kinds():
            self.fields[kind] = forms.ChoiceField(
                label=kind_label(kind),
                choices=_CHOICES,
                initial=policy.get(kind, "warn"),
                widget=forms.RadioSelect,
                error_messages={"required": f"Choose block or warn for {KIND_LABELS.get(kind, kind)}."},
            )
