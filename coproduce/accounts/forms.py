from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from django import forms

from coproduce.accounts.models import CreditChoice, Sector
from coproduce.accounts.services import TOKEN_NAME_MAX


def _without_placeholders(form: forms.BaseForm) -> None:
    """NHS.UK forms label every field and never rely on placeholder text, which vanishes as you type."""
    for field in form.fields.values():
        field.widget.attrs.pop("placeholder", None)


class LoginForm(allauth_forms.LoginForm):  # type: ignore[misc]  # allauth ships no type hints
    """allauth's log-in form with plain-English labels (settings.ACCOUNT_FORMS["login"])."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username or e-mail address"
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me logged in on this device"
        _without_placeholders(self)


class SignupForm(allauth_forms.SignupForm):  # type: ignore[misc]  # allauth ships no type hints
    """allauth's sign-up form with plain-English labels (settings.ACCOUNT_FORMS["signup"])."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail address"
        self.fields["email"].help_text = "We will send you a link to confirm it."
        self.fields[
            "username"
        ].help_text = "Others see it beside what you write. You can add your full name later."
        if "password2" in self.fields:
            self.fields["password2"].label = "Confirm your password"
        _without_placeholders(self)


class ProfileForm(forms.Form):
    """The profile fields people may change about themselves. Nothing here can change a role."""

    name = forms.CharField(
        label="Full name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    organisation = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    sector = forms.ChoiceField(choices=[("", "Choose a sector"), *Sector.choices], required=False)
    job_role = forms.CharField(
        label="Job role",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    professional_registration = forms.CharField(
        label="Professional registration",
        max_length=100,
        required=False,
        help_text="For example, a GMC, NMC or HCPC number.",
    )
    credit_as = forms.ChoiceField(
        label="How briefing papers credit you",
        choices=CreditChoice.choices,
        required=False,  # left out: the choice stays as it was
        widget=forms.RadioSelect,
        help_text=(
            "Papers name only people who contributed to them. If you are not named, you are counted "
            "among the others (“and 4 others”). You can choose differently for one paper on its page."
        ),
        error_messages={"invalid_choice": "Choose how briefing papers credit you from the list."},
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if not cleaned.get("credit_as"):
            cleaned.pop("credit_as", None)  # not sent: keep the choice already saved
        return cleaned


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=TOKEN_NAME_MAX,
        help_text="So that you can tell your tokens apart, for example the script or tool that will use it.",
    )
