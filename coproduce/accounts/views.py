from __future__ import annotations

from typing import Any

from allauth.account import views as allauth_views
from allauth.core.internal.ratelimit import get_rates
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coproduce.accounts import access, selectors, services
from coproduce.accounts.access import needs_second_factor
from coproduce.accounts.forms import ProfileForm, TokenForm
from coproduce.accounts.models import User
from coproduce.governance.safety import UnsafeContent, describe
from coproduce.lib import ratelimit
from coproduce.lib.ratelimit import RateLimited


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


# --- log-in, sign-up and password reset: allauth's views, refusing too many attempts with 429 ---

SIGNUPS_PER_EMAIL_HOUR = 3  # sign-ups naming one e-mail address (each may send it an e-mail)


def _allauth_window(actions: tuple[str, ...]) -> int:
    """The longest window of allauth's limits for these actions: when trying again surely works."""
    durations = [
        rate.duration for action in actions for rate in get_rates(app="allauth.account", action=action)
    ]
    return max(1, int(max(durations, default=60)))


def _refused_for_attempts(form: Form) -> bool:
    return any(
        error.code == "too_many_login_attempts"
        for errors in form.errors.as_data().values()
        for error in errors
    )


class _RefusesWithTooManyRequests:
    """Mixed into allauth's entrance views: a refusal for too many attempts (allauth's own limits,
    our lockout, or a `RateLimited` from coproduce.lib.ratelimit) answers 429 with Retry-After and
    shows the form again with everything the person typed (passwords excepted) and a clear message.
    """

    rate_limit_actions: tuple[str, ...] = ()
    too_many_message = (
        "You have tried this too many times in a short while. Please wait {wait}, then try again."
    )

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except RateLimited as refusal:
            return self._too_many(refusal.retry_after)
        if (
            response.status_code == 429
            and request.method == "POST"
            and not response.has_header("Retry-After")
        ):
            return self._too_many(_allauth_window(self.rate_limit_actions))
        return response

    def form_invalid(self, form: Form) -> HttpResponse:
        response: HttpResponse = super().form_invalid(form)  # type: ignore[misc]
        if _refused_for_attempts(form):
            response.status_code = 429
            response["Retry-After"] = str(self._retry_after_refusal(form))
        return response

    def _retry_after_refusal(self, form: Form) -> int:
        return _allauth_window(self.rate_limit_actions)

    def _too_many(self, retry_after: int) -> HttpResponse:
        view: Any = self
        form = view.get_form()
        form.cleaned_data = {}
        form._errors = ErrorDict()
        form.add_error(None, self.too_many_message.format(wait=_wait(retry_after)))
        response: HttpResponse = view.render_to_response(view.get_context_data(form=form), status=429)
        response["Retry-After"] = str(retry_after)
        return response


def _wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minutes"


class LoginView(_RefusesWithTooManyRequests, allauth_views.LoginView):  # type: ignore[misc]
    rate_limit_actions = ("login",)

    def _retry_after_refusal(self, form: Form) -> int:
        until = services.login_locked_until(login=str(form.data.get("login", "")))
        if until is not None:
            return max(1, int((until - timezone.now()).total_seconds()))
        return _allauth_window(("login_failed",))


class SignupView(_RefusesWithTooManyRequests, allauth_views.SignupView):  # type: ignore[misc]
    rate_limit_actions = ("signup",)

    def form_valid(self, form: Form) -> HttpResponse:
        email = str(form.cleaned_data.get("email", "")).lower()
        ratelimit.hit(scope="signup-email", key=email, limit=SIGNUPS_PER_EMAIL_HOUR, window=3600)
        response: HttpResponse = super().form_valid(form)
        return response


class PasswordResetView(_RefusesWithTooManyRequests, allauth_views.PasswordResetView):  # type: ignore[misc]
    rate_limit_actions = ("reset_password",)


login = LoginView.as_view()
signup = SignupView.as_view()
password_reset = PasswordResetView.as_view()


@login_required
def second_factor_required(request: HttpRequest) -> HttpResponse:
    """Where a moderator or admin without an authenticator app is sent (core.middleware)."""
    return render(
        request, "accounts/second_factor_required.html", {"required": needs_second_factor(_me(request))}
    )
