"""The audit-log browser: moderators and community admins read and filter every change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from coproduce.communities.access import require_community_admin
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry

PER_PAGE = 50


def _distinct(field: str) -> list[tuple[str, str]]:
    values = AuditEntry.objects.order_by(field).values_list(field, flat=True).distinct()
    return [("", "Any"), *((v, v) for v in values)]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False)
    actor = forms.CharField(label="Who (username)", max_length=150, required=False)
    target_type = forms.ChoiceField(label="Kind of object", required=False)
    space = forms.ModelChoiceField(
        queryset=Space.objects.order_by("name"), to_field_name="slug", required=False, empty_label="Any"
    )
    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the start date as a real date, like 2008-05-15."},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the end date as a real date, like 2008-05-15."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = _distinct("action")  # type: ignore[attr-defined]
        self.fields["target_type"].choices = _distinct("target_type")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date must be the same as or after the start date.")
        return data

    def filter(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """Apply the filters that are valid; invalid ones are shown as errors and ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        if data.get("actor"):
            entries = entries.filter(actor_label__iexact=data["actor"].strip())
        if data.get("target_type"):
            entries = entries.filter(target_type=data["target_type"])
        if data.get("space"):
            entries = entries.filter(space=data["space"])
        if data.get("date_from"):
            entries = entries.filter(created_at__date__gte=data["date_from"])
        if data.get("date_to"):
            entries = entries.filter(created_at__date__lte=data["date_to"])
        return entries


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    require_community_admin(request.user)
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.select_related("space").order_by("-created_at", "-id")
    if form.is_bound:
        entries = form.filter(entries)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "governance/audit_log.html", {"form": form, "page": page})
