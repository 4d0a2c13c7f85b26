"""Moderators' redaction pages: the guard's findings in a revision or a comment, each with a Redact button.

Thin views over `coproduce.governance.redaction`: a GET lists the findings (with a little of the
text around each, so the moderator can judge), a POST redacts one and comes back to the list.
Someone who cannot see the revision or comment gets 404; someone who can but is not a community
moderator or admin gets 403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from coproduce.governance import redaction
from coproduce.lib.views import attempt, posted, signed_in

DONE = (
    "Redacted. The text is replaced in every stored copy; "
    "the audit log records that you did it, not what it was."
)


class RedactForm(forms.Form):
    field = forms.ChoiceField(choices=[(name, name) for name in redaction.REVISION_FIELDS])
    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)
    every_revision = forms.BooleanField(required=False)


class CommentRedactForm(forms.Form):
    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)


@login_required
def revision_redact(request: HttpRequest, pk: int) -> HttpResponse:
    revision = redaction.get_revision_for_redactor(request.user, pk)
    actor = signed_in(request)
    form = RedactForm(posted(request))
    done = _redact(
        form,
        lambda data: redaction.revision_redact(
            every_revision=bool(data["every_revision"]),
            revision=revision,
            actor=actor,
            field=str(data["field"]),
            start=int(data["start"]),
            end=int(data["end"]),
        ),
    )
    if done:
        messages.success(request, DONE)
        return redirect("governance:revision_redact", pk=revision.pk)
    context = {"revision": revision, "page": revision.page, "findings": redaction.revision_findings(revision)}
    return _page(request, form, context)


@login_required
def comment_redact(request: HttpRequest, pk: int) -> HttpResponse:
    comment = redaction.get_comment_for_redactor(request.user, pk)
    actor = signed_in(request)
    form = CommentRedactForm(posted(request))
    done = _redact(
        form,
        lambda data: redaction.comment_redact(
            comment=comment, actor=actor, start=int(data["start"]), end=int(data["end"])
        ),
    )
    if done:
        messages.success(request, DONE)
        return redirect("governance:comment_redact", pk=comment.pk)
    context = {
        "comment": comment,
        "page": comment.thread.page,
        "findings": redaction.comment_findings(comment),
    }
    return _page(request, form, context)


def _redact(form: forms.Form, action: Callable[[dict[str, int | str | bool]], object]) -> bool:
    if not form.is_bound or not form.is_valid():
        return False
    return attempt(form, lambda: action(form.cleaned_data)) is not None


def _page(request: HttpRequest, form: forms.Form, context: Mapping[str, object]) -> HttpResponse:
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "governance/redact.html", {**context, "form": form}, status=status)
