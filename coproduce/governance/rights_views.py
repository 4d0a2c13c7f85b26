"""Data rights in the browser: download my contributions, erase a member, a space's retention."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from coproduce.accounts.models import User
from coproduce.communities.access import get_space_for_manager, require_community_admin
from coproduce.governance import rights
from coproduce.lib.views import attempt, posted, signed_in


class EraseForm(forms.Form):
    confirm = forms.CharField(
        label="Type their username to confirm",
        max_length=150,
        error_messages={"required": "Type the member's username to confirm the erasure."},
    )

    def __init__(self, *args: Any, member: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_confirm(self) -> str:
        typed = str(self.cleaned_data["confirm"]).strip()
        if typed != self.member.username:
            raise forms.ValidationError(f"Type {self.member.username} exactly to confirm the erasure.")
        return typed


_DAYS_ERRORS = {
    "invalid": "Enter the number of days as a whole number, like 365.",
    "min_value": "Enter at least 1 day, or leave it empty to keep them.",
    "max_value": f"Enter at most {rights.MAX_RETENTION_DAYS:,} days, or leave it empty to keep them.",
}


def _days_field(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=rights.MAX_RETENTION_DAYS,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"class": "nhsuk-input--width-5"}),
        error_messages=_DAYS_ERRORS,
    )


class RetentionForm(forms.Form):
    keep_closed_discussions_days = _days_field(
        "Delete closed discussions after this many days",
        "Counted from when the discussion closed. The page stays; its comments and outcome go. "
        "Leave empty to keep them for ever.",
    )
    keep_drafts_days = _days_field(
        "Delete unpublished paper drafts after this many days",
        "A briefing paper that was never published and has not been changed for this long. "
        "Published papers are always kept. Leave empty to keep drafts for ever.",
    )


@login_required
def my_export(request: HttpRequest) -> HttpResponse:
    member = signed_in(request)
    data = rights.member_export(member=member, actor=member)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{rights.export_filename(member)}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def member_erase(request: HttpRequest, pk: int) -> HttpResponse:
    require_community_admin(request.user)
    actor = signed_in(request)
    member = get_object_or_404(User, pk=pk, erased_at__isnull=True)
    form = EraseForm(posted(request), member=member)
    if form.is_valid():
        try:
            done = attempt(form, lambda: rights.member_erase(member=member, actor=actor))
        except PermissionDenied as exc:
            done = None
            form.add_error(None, str(exc))
        if done is not None:
            messages.success(request, f"The account is erased. It is now {done.username}.")
            return redirect("communities:members")
    context = {"form": form, "member": member, "is_self": member.pk == actor.pk}
    return render(request, "governance/rights/erase.html", context, status=400 if form.errors else 200)


@login_required
def space_retention(request: HttpRequest, space_slug: str) -> HttpResponse:
    space = get_space_for_manager(request.user, space_slug)
    actor = signed_in(request)
    initial = {
        "keep_closed_discussions_days": space.keep_closed_discussions_days,
        "keep_drafts_days": space.keep_drafts_days,
    }
    form = RetentionForm(posted(request), initial=initial)
    if form.is_valid():
        data = form.cleaned_data
        if attempt(form, lambda: rights.space_retention_set(space=space, actor=actor, **data)) is not None:
            messages.success(request, "How long this space keeps closed discussions and drafts was saved.")
            return redirect("communities:space", slug=space.slug)
    context = {"space": space, "form": form}
    return render(request, "governance/rights/retention.html", context, status=400 if form.errors else 200)
