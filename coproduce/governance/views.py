"""The audit-log browser, flagging, the moderation queue and the moderators' actions.

Views are short: the access helper, the form, the moderation service, then back where the
moderator came from (the queue, or the page at the comment).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST

from coproduce.accounts.models import User
from coproduce.communities.access import can_moderate_space, require_community_admin, require_moderator
from coproduce.communities.models import Space
from coproduce.discussions.models import Comment
from coproduce.governance import moderation, moderation_access, moderation_selectors
from coproduce.governance.forms import FlagForm, ReasonForm, SanctionForm, WatchedWordForm
from coproduce.governance.models import AuditEntry, Flag, WatchedWord
from coproduce.lib.ratelimit import RateLimited
from coproduce.lib.views import attempt, posted, signed_in
from coproduce.wiki import access as wiki_access
from coproduce.wiki.models import Page

PER_PAGE = 50
HIDDEN_SHOWN = 50


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


# --- flags -------------------------------------------------------------------------------------


def _page_address(page: Page | None, comment: Comment | None = None) -> str:
    if page is None:
        return reverse("governance:moderation")
    address = reverse("wiki:page", args=[page.space.slug, page.slug])
    return f"{address}#comment-{comment.pk}" if comment is not None else address


def _back(request: HttpRequest, page: Page | None, comment: Comment | None = None) -> HttpResponse:
    """Back to the queue when the action came from there, else to the page (at the comment)."""
    if request.POST.get("back") == "queue":
        return redirect("governance:moderation")
    return HttpResponseRedirect(_page_address(page, comment))


def _flag(request: HttpRequest, *, comment: Comment | None = None, page: Page | None = None) -> HttpResponse:
    """The flag form for a comment or a page; the same person flagging twice is told so."""
    actor = signed_in(request)
    moderation_access.refuse_if_suspended(actor)
    form = FlagForm(posted(request))
    status = 200
    if form.is_valid():
        earlier = moderation_selectors.open_flag_by(reporter=actor, comment=comment, page=page)
        try:
            flag = attempt(
                form,
                lambda: moderation.flag_create(actor=actor, comment=comment, page=page, **form.cleaned_data),
            )
        except RateLimited as exc:
            flag, status = None, 429
            form.add_error(
                None,
                f"You have flagged a lot of things recently. {exc} The moderators have your earlier flags.",
            )
        if flag is not None:
            if earlier is not None:
                messages.info(request, "You have already flagged this. A moderator will look at it soon.")
            else:
                messages.success(request, "Thank you. A moderator will look at what you flagged.")
            return HttpResponseRedirect(_page_address(page or _page_of(comment), comment))
    context = {"form": form, "comment": comment, "page": page or _page_of(comment)}
    return render(request, "governance/flag.html", context, status=status)


def _page_of(comment: Comment | None) -> Page | None:
    return comment.thread.page if comment is not None else None


@login_required
def flag_comment(request: HttpRequest, pk: int) -> HttpResponse:
    return _flag(request, comment=moderation_access.get_comment_for_user(request.user, pk))


@login_required
def flag_page(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    return _flag(request, page=wiki_access.get_page_for_user(request.user, space_slug, page_slug))


# --- the moderation queue ------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    viewer = moderation_access.require_queue_access(request.user)
    context = {
        "items": moderation_selectors.open_flags(viewer),
        "held": moderation_selectors.held_comments(viewer),
        "hidden_comments": moderation_selectors.hidden_comments(viewer)[:HIDDEN_SHOWN],
        "hidden_pages": moderation_selectors.hidden_pages(viewer)[:HIDDEN_SHOWN],
    }
    return render(request, "governance/queue.html", context)


@login_required
@require_POST
def flag_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(Flag.objects.select_related("comment__thread__space", "page__space"), pk=pk)
    if not moderation_access.can_see_flagged(request.user, flag):
        raise Http404("No such flag.")
    try:
        dismissed = moderation.flag_dismiss(flag=flag, actor=signed_in(request))
        messages.success(request, f"Dismissed {len(dismissed)} flag{pluralize(len(dismissed))}.")
    except ValidationError:
        messages.info(request, "A moderator has already dealt with this flag.")
    return redirect("governance:moderation")


# --- hiding, restoring and publishing --------------------------------------------------------


def _act(
    request: HttpRequest,
    *,
    form: forms.Form,
    action: Callable[[], object],
    done: str,
    context: dict[str, Any],
    template: str,
    back: Callable[[], HttpResponse],
) -> HttpResponse:
    """GET: the confirmation form; POST: run the moderation service, then go back."""
    if request.method == "POST" and form.is_valid() and attempt(form, action) is not None:
        messages.success(request, done)
        return back()
    context = {**context, "form": form, "back": request.GET.get("back") or request.POST.get("back", "")}
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
def comment_hide(request: HttpRequest, pk: int) -> HttpResponse:
    comment, actor = moderation_access.get_comment_for_moderator(request.user, pk), signed_in(request)
    form = ReasonForm(posted(request))
    return _act(
        request,
        form=form,
        action=lambda: moderation.comment_hide(comment=comment, actor=actor, **form.cleaned_data),
        done="The comment is hidden. Others see a placeholder in its place.",
        context={"comment": comment, "verb": "hide"},
        template="governance/comment_confirm.html",
        back=lambda: _back(request, _page_of(comment), comment),
    )


@login_required
def comment_restore(request: HttpRequest, pk: int) -> HttpResponse:
    comment, actor = moderation_access.get_comment_for_moderator(request.user, pk), signed_in(request)
    return _act(
        request,
        form=forms.Form(posted(request)),
        action=lambda: moderation.comment_restore(comment=comment, actor=actor),
        done="The comment is shown again.",
        context={"comment": comment, "verb": "restore"},
        template="governance/comment_confirm.html",
        back=lambda: _back(request, _page_of(comment), comment),
    )


@login_required
def comment_publish(request: HttpRequest, pk: int) -> HttpResponse:
    comment, actor = moderation_access.get_comment_for_moderator(request.user, pk), signed_in(request)
    return _act(
        request,
        form=forms.Form(posted(request)),
        action=lambda: moderation.comment_publish(comment=comment, actor=actor),
        done="The comment is published.",
        context={"comment": comment, "verb": "publish"},
        template="governance/comment_confirm.html",
        back=lambda: _back(request, _page_of(comment), comment),
    )


def _page_for_moderator(request: HttpRequest, space_slug: str, page_slug: str) -> Page:
    page = wiki_access.get_page_for_user(request.user, space_slug, page_slug)
    if not can_moderate_space(request.user, page.space):
        raise PermissionDenied("Only the community's moderators and this space's moderators can do that.")
    return page


@login_required
def page_hide(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    page, actor = _page_for_moderator(request, space_slug, page_slug), signed_in(request)
    form = ReasonForm(posted(request))
    return _act(
        request,
        form=form,
        action=lambda: moderation.page_hide(page=page, actor=actor, **form.cleaned_data),
        done=f"The page {page.title} is hidden. Others see a placeholder in its place.",
        context={"page": page, "verb": "hide"},
        template="governance/page_confirm.html",
        back=lambda: _back(request, page),
    )


@login_required
def page_restore(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    page, actor = _page_for_moderator(request, space_slug, page_slug), signed_in(request)
    return _act(
        request,
        form=forms.Form(posted(request)),
        action=lambda: moderation.page_restore(page=page, actor=actor),
        done=f"The page {page.title} is shown again.",
        context={"page": page, "verb": "restore"},
        template="governance/page_confirm.html",
        back=lambda: _back(request, page),
    )


# --- watched words and sanctions -----------------------------------------------------------


@login_required
def watched_words(request: HttpRequest) -> HttpResponse:
    actor = require_moderator(request.user)
    form = WatchedWordForm(posted(request))
    if form.is_valid():
        word = attempt(form, lambda: moderation.watched_word_add(actor=actor, **form.cleaned_data))
        if word is not None:
            messages.success(request, f"“{word.phrase}” is now watched.")
            return redirect("governance:watched_words")
    context = {"form": form, "words": WatchedWord.objects.select_related("created_by")}
    return render(request, "governance/watched_words.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def watched_word_remove(request: HttpRequest, pk: int) -> HttpResponse:
    actor = require_moderator(request.user)
    word = get_object_or_404(WatchedWord, pk=pk)
    moderation.watched_word_remove(actor=actor, word=word)
    messages.success(request, f"“{word.phrase}” is no longer watched.")
    return redirect("governance:watched_words")


def _sanction(form: SanctionForm, *, member: User, actor: User) -> object:
    data = form.cleaned_data
    if data["action"] == SanctionForm.WARN:
        return moderation.member_warn(member=member, actor=actor, reason=data["reason"])
    if data["action"] == SanctionForm.SUSPEND:
        return moderation.member_suspend(member=member, actor=actor, reason=data["reason"], days=data["days"])
    return moderation.member_unsuspend(member=member, actor=actor)


SANCTION_DONE = {
    SanctionForm.WARN: "{name} has been warned.",
    SanctionForm.SUSPEND: "{name} is suspended.",
    SanctionForm.UNSUSPEND: "{name}'s suspension has ended.",
}


@login_required
def member_sanction(request: HttpRequest, username: str) -> HttpResponse:
    actor = require_moderator(request.user)
    member = get_object_or_404(User, username=username, is_active=True)
    form = SanctionForm(posted(request))
    if form.is_valid():
        try:
            done = attempt(form, lambda: _sanction(form, member=member, actor=actor))
        except PermissionDenied as exc:
            done = None
            form.add_error(None, str(exc))
        if done is not None:
            messages.success(
                request, SANCTION_DONE[form.cleaned_data["action"]].format(name=member.display_name)
            )
            return redirect("governance:member_sanction", username=member.username)
    context = {
        "form": form,
        "member": member,
        "sanctions": member.sanctions.select_related("created_by", "lifted_by"),
    }
    return render(request, "governance/member_sanction.html", context, status=400 if form.errors else 200)
