"""The inbox, notification settings and unsubscribe pages: parse, access helper, service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from coproduce.lib.views import attempt, posted, signed_in
from coproduce.notifications import selectors, services, tokens
from coproduce.notifications.access import get_notification_for_user
from coproduce.notifications.forms import PreferencesForm

PER_PAGE = 25


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    unread_only = request.GET.get("unread") == "1"
    rows = selectors.inbox(user, unread_only=unread_only)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_notification_for_user(request.user, pk)
    services.notification_read(user=signed_in(request), notification=notification)
    if url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None) and notification.url:
        return redirect(notification.url)  # a site path the fan-out made, never a visitor's input
    return redirect("notifications:inbox")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_read_all(user=signed_in(request))
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("notifications:inbox")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    form = PreferencesForm(posted(request), initial=selectors.preferences_of(user))
    if form.is_valid():
        done = attempt(form, lambda: services.preferences_set(user=user, preferences=form.cleaned_data))
        if done is not None:
            messages.success(request, "Your notification settings are saved.")
            return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})


# Mail scanners and link previewers fetch GET links in e-mails by themselves, so GET only shows
# a page with one button and changes nothing; the button POSTs. Mail programs that support
# RFC 8058 POST "List-Unsubscribe=One-Click" to the same address without a CSRF token (they have
# no session), hence csrf_exempt, for this view only: the signed token is the authorisation, and
# a forged request could only do what the holder of the link can already do.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    template = "notifications/unsubscribe.html"
    try:
        if request.method == "POST":
            found = services.unsubscribe(token=token)
            state = "already" if found.already else "done"
        else:
            found = services.unsubscribe_check(token=token)
            state = "already" if found.already else "confirm"
    except tokens.ExpiredToken:
        return render(request, template, {"state": "expired"}, status=410)
    except tokens.InvalidToken:
        return render(request, template, {"state": "invalid"}, status=400)
    return render(request, template, {"state": state, "found": found})
