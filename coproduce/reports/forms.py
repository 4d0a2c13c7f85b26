"""Forms for briefing papers. They check the shape of input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.formsets import BaseFormSet, formset_factory

from coproduce.accounts.models import CreditChoice
from coproduce.lib.confirm import ConfirmableForm
from coproduce.reports.models import OGL, Section

MAX_SECTIONS = 100
BODY_HELP = "Markdown. Cite a card from the synthesis board by its label, such as [S3]."


def _title_field() -> forms.CharField:
    return forms.CharField(
        label="Title",
        max_length=200,
        error_messages={
            "required": "Enter a title for the paper.",
            "max_length": "The title can have at most 200 characters (it has %(show_value)s).",
        },
    )


class PaperCreateForm(ConfirmableForm):
    title = _title_field()
    template = forms.ChoiceField(
        label="Start from",
        choices=[
            (
                "briefing",
                "A briefing paper: summary, key messages, findings, recommendations, method, "
                "contributors and appendix",
            ),
            ("blank", "A blank paper with one section"),
        ],
        initial="briefing",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what the paper starts from.",
            "invalid_choice": "Choose what the paper starts from.",
        },
    )


class PaperDetailsForm(ConfirmableForm):
    title = _title_field()
    licence = forms.CharField(
        label="Licence",
        max_length=200,
        help_text=f"Readers may reuse the paper under this licence. Most papers use the {OGL}.",
        error_messages={
            "required": "Enter the licence, such as the Open Government Licence v3.0.",
            "max_length": "The licence can have at most 200 characters (it has %(show_value)s).",
        },
    )


class SectionForm(forms.Form):
    """One section on the edit page. An extra form left blank adds nothing."""

    id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    heading = forms.CharField(
        label="Heading",
        max_length=200,
        error_messages={
            "required": "Enter a heading for the section.",
            "max_length": "The heading can have at most 200 characters (it has %(show_value)s).",
        },
    )
    kind = forms.ChoiceField(
        label="Kind of section",
        choices=Section.Kind.choices,
        initial=Section.Kind.TEXT,
        error_messages={"invalid_choice": "Choose the kind of section from the list."},
    )
    body = forms.CharField(
        label="Text",
        required=False,
        strip=False,  # leading spaces mean something in Markdown
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "true"}),
    )


class BaseSectionFormSet(BaseFormSet[SectionForm]):
    def add_fields(self, form: SectionForm, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields["ORDER"].label = "Position"
        form.fields["ORDER"].help_text = "Sections are put in order of these numbers."
        form.fields["ORDER"].widget.attrs.update({"class": "nhsuk-input--width-4", "inputmode": "numeric"})
        form.fields["ORDER"].error_messages = {"invalid": "Enter the position as a whole number, such as 3."}
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this section"
            form.fields["DELETE"].help_text = "Its cards go back to “Not sorted yet” on the board."


SectionFormSet = formset_factory(
    SectionForm,
    formset=BaseSectionFormSet,
    extra=1,
    can_order=True,
    can_delete=True,
    can_delete_extra=False,
    max_num=MAX_SECTIONS,
    validate_max=True,
    absolute_max=MAX_SECTIONS + 10,
)

USED_CHOICES = [("used", "Used"), ("not_used", "Not used"), ("undecided", "Not decided")]


class PlaceForm(forms.Form):
    """A card on the board: which section it belongs to, and whether the paper uses it."""

    key = forms.CharField(max_length=100, error_messages={"required": "The form did not say which card."})
    section = forms.ChoiceField(required=False)
    used = forms.ChoiceField(
        choices=USED_CHOICES,
        error_messages={
            "required": "Choose whether the paper uses the card.",
            "invalid_choice": "Choose whether the paper uses the card.",
        },
    )
    revision = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, sections: list[Section], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = {str(section.pk): section for section in sections}
        field = self.fields["section"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Not sorted yet"), *((pk, s.heading) for pk, s in self.sections.items())]
        field.error_messages["invalid_choice"] = "Choose a section of this paper from the list."

    @property
    def chosen_section(self) -> Section | None:
        return self.sections.get(self.cleaned_data.get("section") or "")

    @property
    def used_value(self) -> bool | None:
        return {"used": True, "not_used": False}.get(self.cleaned_data.get("used", ""))


def used_choice(used: bool | None) -> str:
    return "undecided" if used is None else ("used" if used else "not_used")


class SectionWriteForm(ConfirmableForm):
    section = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    heading = forms.CharField(
        label="Heading",
        max_length=200,
        error_messages={
            "required": "Enter a heading for the section.",
            "max_length": "The heading can have at most 200 characters (it has %(show_value)s).",
        },
    )
    body = forms.CharField(
        label="Section text",
        required=False,
        strip=False,
        help_text="Markdown. Cite a card as [S3]: the paper links to it in its list of sources.",
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "true"}),
    )


PROFILE = "profile"


class CreditForm(forms.Form):
    credit_as = forms.ChoiceField(
        label="How this paper credits you",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how this paper credits you.",
            "invalid_choice": "Choose how this paper credits you from the list.",
        },
    )

    def __init__(self, *args: Any, profile_choice: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["credit_as"]
        assert isinstance(field, forms.ChoiceField)
        current = CreditChoice(profile_choice).label if profile_choice in CreditChoice.values else ""
        field.choices = [(PROFILE, f"As in my profile ({current.lower()})"), *CreditChoice.choices]

    @property
    def override(self) -> str | None:
        """The per-paper choice, or None to follow the profile."""
        value: str = self.cleaned_data["credit_as"]
        return None if value == PROFILE else value
