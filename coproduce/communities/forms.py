"""Forms for membership and spaces. They check the shape of input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from coproduce.accounts.models import Role, Sector
from coproduce.communities.models import Application, SpaceRole, Visibility


class ApplicationForm(forms.Form):
    name = forms.CharField(
        label="Full name", max_length=150, error_messages={"required": "Enter your full name."}
    )
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        help_text="We will write to you here about your application.",
        error_messages={
            "required": "Enter your e-mail address.",
            "invalid": "Enter an e-mail address in the correct format, like name@example.org.",
        },
    )
    organisation = forms.CharField(
        max_length=200, error_messages={"required": "Enter the organisation you work or study in."}
    )
    sector = forms.ChoiceField(
        choices=Sector.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose your sector.",
            "invalid_choice": "Choose one of the sectors listed.",
        },
    )
    job_role = forms.CharField(
        label="Job role", max_length=200, error_messages={"required": "Enter your job role."}
    )
    professional_registration = forms.CharField(
        label="Professional registration",
        max_length=100,
        required=False,
        help_text="For example a GMC, NMC or HCPC number.",
    )
    reason = forms.CharField(
        label="Why would you like to join?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Do not include any patient-identifiable information.",
        error_messages={"required": "Tell us why you would like to join."},
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent to the applicant. Required when you reject an application.",
    )

    def __init__(self, *args: Any, require_reason: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if require_reason:
            reason = self.fields["reason"]
            reason.required = True
            reason.help_text = "Sent to the applicant."
            reason.error_messages["required"] = "Give a reason for rejecting the application."


class _Applications(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Ids the database cannot hold are "not from the list", not a crash in the query."""

    def _check_values(self, value: Any) -> Any:
        for pk in value or []:
            text = str(pk).strip()
            if text.isdigit() and int(text) > 2**63 - 1:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": text}
                )
        return super()._check_values(value)  # type: ignore[misc]  # Django's own step, not in the stubs


class BulkDecisionForm(forms.Form):
    applications = _Applications(
        queryset=Application.objects.filter(status=Application.Status.PENDING),
        error_messages={
            "required": "Select at least one application.",
            "invalid_choice": "One of the applications you selected has already been decided.",
            "invalid_pk_value": "Select applications from the list.",
        },
    )
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")],
        error_messages={"required": "Choose approve or reject."},
    )
    reason = forms.CharField(
        label="Reason for all selected",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent to each applicant. Required when you reject.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not str(data.get("reason", "")).strip():
            self.add_error("reason", "Give a reason for rejecting the selected applications.")
        return data


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        error_messages={
            "required": "Enter the e-mail address to invite.",
            "invalid": "Enter an e-mail address in the correct format, like name@example.org.",
        },
    )
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in (Role.MEMBER, Role.FACILITATOR, Role.MODERATOR)],
        initial=Role.MEMBER,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a role."},
    )


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(
        label="Full name", max_length=150, error_messages={"required": "Enter your full name."}
    )
    username = forms.CharField(
        max_length=150,
        help_text="Letters, digits and @ . + - _ only. Other people will see it.",
        error_messages={"required": "Choose a username."},
    )
    password1 = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Choose a password."},
    )
    password2 = forms.CharField(
        label="Password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the password again."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "The two passwords are different. Type the same password twice.")
        return data


class AllowedDomainForm(forms.Form):
    domain = forms.CharField(
        max_length=253,
        help_text="Applicants with an e-mail address at this domain, or under it, are approved at once.",
        error_messages={"required": "Enter a domain, like nhs.net."},
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=Role.choices, error_messages={"invalid_choice": "Choose a role from the list."}
    )


class SpaceSettingsForm(forms.Form):
    name = forms.CharField(max_length=150, error_messages={"required": "Enter a name for the space."})
    description = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Do not include any patient-identifiable information.",
    )
    visibility = forms.ChoiceField(
        label="Who can read it",
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        initial=Visibility.MEMBERS,
        error_messages={"required": "Choose who can read the space."},
    )


class SpaceCreateForm(SpaceSettingsForm):
    slug = forms.CharField(
        label="Web address",
        max_length=60,
        help_text="Lowercase letters, digits and hyphens, like masterclass-2008. It cannot be changed later.",
        error_messages={"required": "Enter a web address for the space."},
    )
    field_order = ["name", "slug", "description", "visibility"]


class SpaceMemberForm(forms.Form):
    username = forms.CharField(max_length=150, error_messages={"required": "Enter the person's username."})
    role = forms.ChoiceField(
        label="Role in the space",
        choices=SpaceRole.choices,
        initial=SpaceRole.MEMBER,
        error_messages={"required": "Choose a role."},
    )
