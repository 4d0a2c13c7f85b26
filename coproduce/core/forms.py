from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class NhsukFormRenderer(TemplatesSetting):
    """Renders `{{ form }}` with NHS.UK frontend markup (templates/forms/)."""

    form_template_name = "forms/nhsuk_form.html"
    field_template_name = "forms/nhsuk_field.html"
