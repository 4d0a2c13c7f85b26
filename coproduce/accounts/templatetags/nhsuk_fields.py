"""Render a bound form field's widget with NHS.UK frontend classes (used by the allauth elements)."""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString

register = template.Library()

# widget class -> (kind, base class, extra class when the field has errors)
_STYLES: tuple[tuple[type[forms.Widget], str, str, str], ...] = (
    (forms.CheckboxInput, "checkbox", "nhsuk-checkboxes__input", ""),
    (forms.RadioSelect, "choices", "nhsuk-radios__input", ""),
    (forms.CheckboxSelectMultiple, "choices", "nhsuk-checkboxes__input", ""),
    (forms.Select, "select", "nhsuk-select", "nhsuk-select--error"),
    (forms.Textarea, "textarea", "nhsuk-textarea", "nhsuk-textarea--error"),
)


def _style(field: BoundField) -> tuple[str, str, str]:
    for widget_class, kind, base, error in _STYLES:
        if isinstance(field.field.widget, widget_class):
            return kind, base, error
    return "input", "nhsuk-input", "nhsuk-input--error"


@register.filter
def nhsuk_kind(field: BoundField) -> str:
    """One of input, select, textarea, checkbox, choices: which NHS.UK pattern to use."""
    return _style(field)[0]


@register.simple_tag
def nhsuk_widget(field: BoundField) -> SafeString:
    """The field's widget with NHS.UK classes and aria-describedby pointing at its hint and error."""
    _kind, base, error = _style(field)
    classes = [base, str(field.field.widget.attrs.get("class", ""))]
    if field.errors and error:
        classes.append(error)
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_helptext")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
    attrs = {"class": " ".join(c for c in classes if c)}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=attrs)
