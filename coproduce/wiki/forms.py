"""Forms for wiki pages and page templates. They check the shape of input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from coproduce.communities.models import Space
from coproduce.lib.confirm import ConfirmableForm
from coproduce.wiki import selectors
from coproduce.wiki.models import Page


def _body_field(label: str, help_text: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        strip=False,  # leading spaces mean something in Markdown (code blocks, nested lists)
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "true"}),
        error_messages={"required": "Enter the text of the page."},
    )


class _BodyLimit(forms.Form):
    """Refuses a body over settings.WIKI_MAX_BODY_CHARS, saying how long it is (read when checked)."""

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        limit = settings.WIKI_MAX_BODY_CHARS
        if len(body) > limit:
            raise forms.ValidationError(
                f"The text is too long: it can have at most {limit:,} characters (it has {len(body):,}). "
                "Split it into several pages."
            )
        return body


BODY_HELP = (
    "Write in Markdown. Link to another page of this space with [[Page title]] or "
    "[[Page title|the words to show]]. Do not include any patient-identifiable information."
)


def _title_field() -> forms.CharField:
    return forms.CharField(
        label="Title",
        max_length=200,
        error_messages={
            "required": "Enter a title for the page.",
            "max_length": "The title can have at most 200 characters (it has %(show_value)s).",
        },
    )


def _summary_field() -> forms.CharField:
    return forms.CharField(
        label="Summary of your changes",
        max_length=300,
        required=False,
        help_text="A few words for the page's history, such as “Added the actions from the May meeting”.",
        error_messages={"max_length": "The summary can have at most 300 characters (it has %(show_value)s)."},
    )


class PageCreateForm(ConfirmableForm, _BodyLimit):
    title = _title_field()
    body = _body_field("Text", BODY_HELP)
    summary = _summary_field()
    parent = forms.ModelChoiceField(
        label="Parent page",
        queryset=Page.objects.none(),
        required=False,
        empty_label="None: a top-level page",
        help_text="Put the new page under another page of this space.",
        error_messages={"invalid_choice": "Choose a parent page from the list."},
    )

    def __init__(self, *args: Any, space: Space, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.ModelChoiceField)
        parent.queryset = selectors.page_list(space)


class PageEditForm(ConfirmableForm, _BodyLimit):
    title = _title_field()
    body = _body_field("Text", BODY_HELP)
    summary = _summary_field()
    base_revision = forms.IntegerField(
        label="Revision you started from",
        min_value=0,
        widget=forms.HiddenInput,
        error_messages={
            "required": "The form did not say which revision you started from. Open the page's editor again.",
            "invalid": "The form did not say which revision you started from. Open the page's editor again.",
        },
    )


class RevertForm(forms.Form):
    summary = _summary_field()


class PageTemplateForm(_BodyLimit):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="Shown to people choosing a template, such as “Meeting notes”.",
        error_messages={
            "required": "Enter a name for the template.",
            "max_length": "The name can have at most 100 characters (it has %(show_value)s).",
        },
    )
    body = _body_field("Starting text", BODY_HELP, required=False)


class WatchForm(forms.Form):
    watching = forms.BooleanField(required=False)
