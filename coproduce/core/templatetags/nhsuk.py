"""Template helpers for NHS.UK frontend markup: form widgets with NHS classes, navigation state."""

from __future__ import annotations

from django import forms, template
from django.conf import settings
from django.forms.boundfield import BoundField, BoundWidget
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

# Widget class -> (pattern, class for the element, extra class when the field has errors).
# Order matters: CheckboxSelectMultiple is a subclass of RadioSelect.
_STYLES: tuple[tuple[type[forms.Widget], str, str, str], ...] = (
    (forms.CheckboxSelectMultiple, "checkboxes", "nhsuk-checkboxes__input", ""),
    (forms.RadioSelect, "radios", "nhsuk-radios__input", ""),
    (forms.CheckboxInput, "checkbox", "nhsuk-checkboxes__input", ""),
    (forms.Select, "select", "nhsuk-select", "nhsuk-select--error"),
    (forms.Textarea, "textarea", "nhsuk-textarea", "nhsuk-textarea--error"),
    (forms.FileInput, "file", "nhsuk-file-upload__input", ""),
    (forms.MultiWidget, "multi", "", ""),
)


def _style(field: BoundField) -> tuple[str, str, str]:
    for widget_class, pattern, base, error in _STYLES:
        if isinstance(field.field.widget, widget_class):
            return pattern, base, error
    return "input", "nhsuk-input", "nhsuk-input--error"


def _join(*classes: object) -> str:
    return " ".join(str(c) for c in classes if c)


@register.filter
def nhsuk_pattern(field: BoundField) -> str:
    """Which NHS.UK pattern renders the field: input, textarea, select, checkbox, radios,
    checkboxes, file or multi."""
    return _style(field)[0]


@register.filter
def nhsuk_widget(field: BoundField) -> SafeString:
    """The field's widget with NHS.UK classes added to any it already has.

    Django itself adds aria-describedby (hint `<id>_helptext`, error `<id>_error`),
    aria-invalid and required.
    """
    _pattern, base, error = _style(field)
    widget_class = field.field.widget.attrs.get("class", "")
    classes = _join(base, widget_class, error if field.errors else "")
    return field.as_widget(attrs={"class": classes} if classes else None)


@register.filter
def nhsuk_option(option: BoundWidget, pattern: str) -> SafeString:
    """One radio or checkbox of a choice field, as an NHS.UK `nhsuk-<pattern>__input`."""
    data = option.data
    attrs = {**data["attrs"], "class": f"nhsuk-{pattern}__input"}
    value = "" if data["value"] is None else str(data["value"])
    return format_html(
        '<input type="{}" name="{}" value="{}"{}>', data["type"], data["name"], value, flatatt(attrs)
    )


@register.filter
def nhsuk_anchor(field: BoundField) -> str:
    """The id of the element an error-summary link should move focus to."""
    if _style(field)[0] in ("radios", "checkboxes") and field.subwidgets:
        first_id = field.subwidgets[0].id_for_label
        if first_id:
            return str(first_id)
    return str(field.id_for_label or field.auto_id or field.html_name)


@register.filter
def nhsuk_top_errors(form: forms.BaseForm) -> list[str]:
    """Errors not shown beside a visible field: the form's own and those of hidden fields."""
    errors = [str(e) for e in form.non_field_errors()]
    for field in form.hidden_fields():
        errors.extend(f"{field.label}: {e}" for e in field.errors)
    return errors


@register.filter
def startswith(value: object, prefix: str) -> bool:
    return str(value).startswith(prefix)


@register.simple_tag
def configured_site_name() -> str:
    """The community's name from settings, for templates rendered without context processors."""
    return str(settings.SITE_NAME)
