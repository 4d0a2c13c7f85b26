"""Discussions in the browser. The discussion itself is shown on the wiki page (its view asks
`page_section` for the context); these views take the forms and show them again, with what
was typed, when a service refuses.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coproduce.discussions import access, selectors, services
from coproduce.discussions.forms import CloseForm, CommentEditForm, CommentForm
from coproduce.discussions.models import Comment, Thread
from coproduce.lib.confirm import attempt_confirmable
from coproduce.lib.errors import Conflict
from coproduce.lib.ratelimit import RateLimited
from coproduce.lib.views import attempt, posted, signed_in
from coproduce.wiki.access import get_page_for_user
from coproduce.wiki.models import Page


def page_url(page: Page, anchor: str = "discussion") -> str:
    return reverse("wiki:page", args=[page.space.slug, page.slug]) + f"#{anchor}"


def page_section(
    request: HttpRequest, page: Page, *, can_edit: bool | None = None, can_moderate: bool | None = None
) -> dict[str, Any]:
    """What the wiki page's template needs to show its discussion; `?reply=<pk>` opens a reply form.

    `can_edit` and `can_moderate`: what the wiki view has already asked about the page's space.
    """
    discussion = selectors.discussion_for_page(request.user, page, write=can_edit, moderate=can_moderate)
    reply = request.GET.get("reply", "")
    reply_to = int(reply) if reply.isdigit() and len(reply) < 12 else None
    thread = discussion.thread
    # The reply and close forms are shown only with `?reply=` and to those who may close.
    reply_form = CommentForm(auto_id="id_reply_%s", label="Your reply") if reply_to is not None else None
    close_form = None
    if discussion.can.close:
        close_form = CloseForm(auto_id="id_close_%s", initial={"outcome": thread.outcome if thread else ""})
    return {
        "discussion": discussion,
        "comment_form": CommentForm(),
        "reply_to": reply_to,
        "reply_form": reply_form,
        "close_form": close_form,
        # Built once: a page can have hundreds of comments, each with these links.
        "urls": {"comments": reverse("discussions:create", args=[page.space.slug, page.slug])},
    }


def create(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    """A new comment, or a reply (`parent`). GET shows the form on its own page."""
    page = get_page_for_user(request.user, space_slug, page_slug)
    parent = _parent(request, space_slug, page_slug)
    label = f"Your reply to {_name(parent)}" if parent else "Your comment"
    form = CommentForm(posted(request), initial={"parent": parent.pk if parent else None}, label=label)
    status = 200
    if form.is_valid():
        actor, body, confirmed = signed_in(request), form.cleaned_data["body"], form.confirmed
        try:
            comment = attempt_confirmable(
                form,
                lambda: services.comment_create(
                    page=page, actor=actor, body=body, parent=parent, confirmed=confirmed
                ),
            )
        except RateLimited as exc:
            comment, status = None, 429
            form.add_error(None, f"You have posted a lot of comments in a short time. {exc}")
        if comment is not None:
            if comment.state == Comment.State.HELD:
                messages.info(request, "Your comment is held for review: a moderator will publish it soon.")
            else:
                messages.success(request, "Your comment was posted.")
            return HttpResponseRedirect(page_url(page, f"comment-{comment.pk}"))
    context = {"space": page.space, "page": page, "form": form, "parent": parent, **_state(page)}
    return render(request, "discussions/comment_form.html", context, status=status)


def edit(request: HttpRequest, space_slug: str, page_slug: str, pk: int) -> HttpResponse:
    comment = access.get_comment_for_author(request.user, space_slug, page_slug, pk)
    page = comment.thread.page
    assert page is not None
    form = CommentEditForm(posted(request), initial={"body": comment.body})
    if form.is_valid():
        actor, body, confirmed = signed_in(request), form.cleaned_data["body"], form.confirmed
        saved = attempt_confirmable(
            form, lambda: services.comment_edit(comment=comment, actor=actor, body=body, confirmed=confirmed)
        )
        if saved is not None:
            messages.success(request, "Your comment was changed.")
            return HttpResponseRedirect(page_url(page, f"comment-{comment.pk}"))
    context = {
        "space": page.space,
        "page": page,
        "comment": comment,
        "form": form,
        "window_open": services.edit_window_open(comment),
        "edit_minutes": settings.COMMENT_EDIT_MINUTES,
        "changeable": comment.state in (Comment.State.VISIBLE, Comment.State.HELD),
    }
    return render(request, "discussions/edit.html", context)


def delete(request: HttpRequest, space_slug: str, page_slug: str, pk: int) -> HttpResponse:
    """GET asks to confirm; POST deletes (the text goes, a placeholder stays)."""
    comment = access.get_comment_for_author(request.user, space_slug, page_slug, pk)
    page = comment.thread.page
    assert page is not None
    if request.method == "POST":
        try:
            services.comment_delete(comment=comment, actor=signed_in(request))
            messages.success(request, "Your comment was deleted.")
        except Conflict as exc:
            messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(page_url(page, f"comment-{comment.pk}"))
    context = {"space": page.space, "page": page, "comment": comment}
    return render(request, "discussions/delete.html", context)


def close(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    """Close now with an outcome, or at the end of a chosen day. GET shows the form on its own page."""
    page = access.get_page_for_closer(request.user, space_slug, page_slug)
    thread = selectors.thread_of(page)
    form = CloseForm(posted(request), initial={"outcome": thread.outcome if thread else ""})
    if form.is_valid():
        actor, outcome, close_at = signed_in(request), form.cleaned_data["outcome"], form.close_at
        if close_at is None:
            done = attempt(form, lambda: services.discussion_close(page=page, actor=actor, outcome=outcome))
            message = "The discussion is closed."
        else:
            done = attempt(
                form,
                lambda: services.discussion_schedule_close(
                    page=page, actor=actor, close_at=close_at, outcome=outcome
                ),
            )
            message = "The discussion will close by itself at the end of the day you chose."
        if done is not None:
            messages.success(request, message)
            return HttpResponseRedirect(page_url(page))
    context = {"space": page.space, "page": page, "form": form, "thread": thread}
    return render(request, "discussions/close.html", context)


@require_POST
def reopen(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    page = access.get_page_for_closer(request.user, space_slug, page_slug)
    try:
        services.discussion_reopen(page=page, actor=signed_in(request))
        messages.success(request, "The discussion is open again.")
    except Conflict as exc:
        messages.error(request, " ".join(exc.messages))
    return HttpResponseRedirect(page_url(page))


@require_POST
def cancel_close(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    """Stop a discussion from closing by itself."""
    page = access.get_page_for_closer(request.user, space_slug, page_slug)
    try:
        services.discussion_schedule_close(page=page, actor=signed_in(request), close_at=None)
        messages.success(request, "The discussion will no longer close by itself.")
    except Conflict as exc:
        messages.error(request, " ".join(exc.messages))
    return HttpResponseRedirect(page_url(page))


def _parent(request: HttpRequest, space_slug: str, page_slug: str) -> Comment | None:
    """The comment replied to (404 if the viewer cannot see it), or None for a new comment."""
    raw = request.POST.get("parent") or request.GET.get("parent") or ""
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise Http404("No such comment.")
    return access.get_comment_for_user(request.user, space_slug, page_slug, int(raw))


def _name(comment: Comment) -> str:
    return comment.author.display_name if comment.author else "a former member"


def _state(page: Page) -> dict[str, Thread | None]:
    return {"thread": selectors.thread_of(page)}
