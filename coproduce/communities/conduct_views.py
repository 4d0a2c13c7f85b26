"""The code of conduct in the browser: read and accept it, publish a new version (admins), and
the page shown instead of a form to someone who must accept it first."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from coproduce.communities import access, conduct
from coproduce.lib.markdown import render as render_markdown
from coproduce.lib.views import attempt, posted, signed_in


class AcceptForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)


class PublishForm(forms.Form):
    text = forms.CharField(
        label="Code of conduct",
        help_text="Markdown. Everyone must accept the new version before they contribute again.",
        widget=forms.Textarea(attrs={"rows": 20}),
        max_length=conduct.TEXT_MAX_LENGTH,
        error_messages={"required": "Enter the text of the code of conduct."},
    )
    summary_of_changes = forms.CharField(
        label="What changed",
        help_text="Shown to members when they are asked to accept the new version.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=conduct.SUMMARY_MAX_LENGTH,
        required=False,
    )


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """`candidate` if it is a path on this site, else the home page."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("core:home")


def conduct_url(next_path: str) -> str:
    return f"{reverse('communities:conduct')}?{urlencode({'next': next_path})}"


@require_http_methods(["GET", "HEAD", "POST"])
def conduct_page(request: HttpRequest) -> HttpResponse:
    """The latest version; a signed-in person who has not accepted it can accept it here."""
    latest = conduct.latest()
    form = AcceptForm(posted(request))
    if request.method == "POST":
        actor = signed_in(request)
        if form.is_valid():
            version = form.cleaned_data["version"]
            done = attempt(form, lambda: conduct.conduct_accept(actor=actor, version=version))
            if done is not None:
                messages.success(request, f"Thank you for accepting the code of conduct (version {version}).")
                return redirect(safe_next(request, form.cleaned_data.get("next")))
    next_path = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    context = {
        "conduct": latest,
        "html": render_markdown(latest.text, space_slug="").html if latest is not None else "",
        "to_accept": conduct.version_to_accept(request.user),
        "next": next_path,
        "form": form,
        "versions": conduct.versions()[1:] if latest is not None else [],
        "can_publish": request.user.is_authenticated and getattr(request.user, "is_community_admin", False),
    }
    return render(request, "communities/conduct.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def conduct_publish(request: HttpRequest) -> HttpResponse:
    """Community admins publish a new version (prefilled with the current one)."""
    actor = access.require_community_admin(request.user)
    latest = conduct.latest()
    initial = {"text": latest.text} if latest is not None else {}
    form = PublishForm(posted(request), initial=initial)
    if form.is_valid():
        data = form.cleaned_data
        published = attempt(
            form,
            lambda: conduct.conduct_publish(
                actor=actor, text=data["text"], summary_of_changes=data["summary_of_changes"]
            ),
        )
        if published is not None:
            messages.success(
                request,
                f"Version {published.version} of the code of conduct is published. Members will be "
                "asked to accept it before they contribute again.",
            )
            return redirect("communities:conduct")
    return render(request, "communities/conduct_publish.html", {"form": form, "conduct": latest})


def conduct_context(request: HttpRequest) -> dict[str, Callable[[], object]]:
    """Template context: `conduct_to_accept` (the version to accept, 0 if none) and
    `conduct_accept_url` (the page to accept it, coming back here). Both are callables, so a
    template that does not use them costs nothing; a template that shows an edit or comment form
    can show `communities/conduct_notice.html` in its place:

        {% include "communities/conduct_notice.html" with version=conduct_to_accept
           accept_url=conduct_accept_url %}      (on one line)
    """
    return {
        "conduct_to_accept": lambda: conduct.version_to_accept(request.user),
        "conduct_accept_url": lambda: conduct_url(request.get_full_path()),
    }


def conduct_required_response(request: HttpRequest, error: conduct.ConductNotAccepted) -> HttpResponse:
    """403 page in place of a form: what to do, with a link that comes back here afterwards."""
    back = request.get_full_path() if request.method in {"GET", "HEAD"} else request.path
    context = {"version": error.version, "accept_url": conduct_url(back), "message": str(error)}
    return render(request, "communities/conduct_required.html", context, status=403)


class ConductRequiredMiddleware:
    """Turns ConductNotAccepted raised by an HTML view into the "accept the code first" page.

    The JSON API answers such refusals itself (403, code "conduct_not_accepted").
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, conduct.ConductNotAccepted) and not request.path.startswith("/api/"):
            return conduct_required_response(request, exception)
        return None
