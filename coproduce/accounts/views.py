from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coproduce.accounts import access, selectors, services
from coproduce.accounts.forms import ProfileForm, TokenForm
from coproduce.accounts.models import User
from coproduce.governance.safety import UnsafeContent, describe


def _me(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required runs first
    return request.user


def add_service_errors(form: Form, error: UnsafeContent | ValidationError) -> None:
    """Show a service's refusal on the form, keeping everything the person typed."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return
    for field, findings in error.findings.items():
        message = (
            f"Remove {describe(findings)}. Do not share patient-identifiable data here; "
            "everything else you typed has been kept."
        )
        form.add_error(field if field in form.fields else None, message)


def _initial(user: User) -> dict[str, str]:
    return {field: getattr(user, field) for field in services.PROFILE_FIELDS}


def _profile_page(request: HttpRequest, *, form: ProfileForm, token_form: TokenForm) -> HttpResponse:
    user = _me(request)
    context: dict[str, Any] = {"form": form, "token_form": token_form, "tokens": selectors.tokens_of(user)}
    return render(request, "accounts/profile.html", context)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    if request.method != "POST":
        return _profile_page(
            request, form=ProfileForm(initial=_initial(user)), token_form=TokenForm(prefix="token")
        )
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            services.profile_update(user=user, actor=user, **form.cleaned_data)
        except (UnsafeContent, ValidationError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Your profile has been saved.")
            return redirect("accounts:profile")
    return _profile_page(request, form=form, token_form=TokenForm(prefix="token"))


@never_cache
@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    form = TokenForm(request.POST, prefix="token")
    if form.is_valid():
        try:
            token, raw = services.token_create(user=user, name=form.cleaned_data["name"], actor=user)
        except (UnsafeContent, ValidationError) as error:
            add_service_errors(form, error)
        else:
            return render(request, "accounts/token_created.html", {"token": token, "raw_token": raw})
    return _profile_page(request, form=ProfileForm(initial=_initial(user)), token_form=form)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = _me(request)
    token = access.get_own_token(user=user, token_id=token_id)
    services.token_revoke(token=token, actor=user)
    messages.success(request, f"The token “{token.name}” has been revoked. It no longer works.")
    return redirect("accounts:profile")
