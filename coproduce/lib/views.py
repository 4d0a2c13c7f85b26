"""Small helpers shared by the HTML views: run a service and show its refusal on the form."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, QueryDict

from coproduce.accounts.models import User
from coproduce.governance.safety import UnsafeContent, describe


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its fields where it has them, else at the top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def apply_unsafe(form: forms.Form, error: UnsafeContent) -> None:
    """Explain which kind of patient-identifiable data was found, and where, on each field."""
    for field, findings in error.findings.items():
        message = (
            f"Remove {describe(findings)}. Do not share patient-identifiable data here; "
            "everything else you typed has been kept."
        )
        form.add_error(field if field in form.fields else None, message)


def attempt[T](form: forms.Form, action: Callable[[], T]) -> T | None:
    """Run a service; show its refusal on the form (keeping what was typed) and return None."""
    try:
        return action()
    except UnsafeContent as exc:
        apply_unsafe(form, exc)
    except ValidationError as exc:
        apply_errors(form, exc)
    return None


def posted(request: HttpRequest) -> QueryDict | None:
    """The POST data for a bound form, or None on GET (an unbound form)."""
    return request.POST if request.method == "POST" else None


def signed_in(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied("Log in first.")
    return request.user
