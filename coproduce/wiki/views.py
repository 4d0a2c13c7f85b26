"""The wiki in the browser: parse the form, one access helper, one service, render or redirect."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coproduce.accounts.models import User
from coproduce.communities import access as space_access
from coproduce.communities.models import Space
from coproduce.core.pagecache import anonymous_cacheable
from coproduce.core.viewercache import viewer_cacheable
from coproduce.discussions import views as discussion_views
from coproduce.lib import diff
from coproduce.lib.confirm import attempt_confirmable
from coproduce.lib.views import attempt, posted, signed_in
from coproduce.wiki import access, selectors, services
from coproduce.wiki.attachments import attachments_of
from coproduce.wiki.forms import PageCreateForm, PageEditForm, PageTemplateForm, RevertForm, WatchForm
from coproduce.wiki.models import Page, Revision

HISTORY_PER_PAGE = 50


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "400.html", {"message": message}, status=400)


def _watching(request: HttpRequest, *, page: Page | None = None, space: Space | None = None) -> bool:
    user = request.user
    return isinstance(user, User) and selectors.is_watching(user, page=page, space=space)


def _to(view: str, page: Page, *, permanent: bool = False, **extra: object) -> HttpResponse:
    """A redirect to one of the page's views at its current address."""
    address = reverse(view, kwargs={"space_slug": page.space.slug, "page_slug": page.slug, **extra})
    return HttpResponsePermanentRedirect(address) if permanent else HttpResponseRedirect(address)


# --- the space's wiki ---------------------------------------------------------


@dataclass
class Node:
    """A page and the pages under it, for the space's contents."""

    page: Page
    children: list[Node] = field(default_factory=list)


def page_tree(pages: Iterable[Page]) -> list[Node]:
    """The pages as a tree by parent; never loops, and every page appears exactly once."""
    pages = list(pages)
    ids = {page.pk for page in pages}
    under: defaultdict[int | None, list[Page]] = defaultdict(list)
    for page in pages:
        under[page.parent_id if page.parent_id in ids else None].append(page)
    seen: set[int] = set()

    def build(page: Page) -> Node:
        seen.add(page.pk)
        return Node(page, [build(child) for child in under[page.pk] if child.pk not in seen])

    roots = [build(page) for page in under[None]]
    roots += [build(page) for page in pages if page.pk not in seen]  # only if parents formed a loop
    return roots


@anonymous_cacheable
@viewer_cacheable
def index(request: HttpRequest, space_slug: str) -> HttpResponse:
    space = space_access.get_space_for_user(request.user, space_slug)
    context = {
        "space": space,
        "tree": page_tree(selectors.page_list(space)),
        "can_edit": access.can_edit_space(request.user, space),
        "can_manage": space_access.can_manage_space(request.user, space),
        "watching": _watching(request, space=space),
    }
    return render(request, "wiki/index.html", context)


@require_POST
def watch_space(request: HttpRequest, space_slug: str) -> HttpResponse:
    space = space_access.get_space_for_user(request.user, space_slug)
    form = WatchForm(request.POST)
    watching = form.is_valid() and form.cleaned_data["watching"]
    services.watch_set(user=signed_in(request), watching=watching, space=space)
    if watching:
        messages.success(request, f"You are watching {space.name}: you will hear about changes to its pages.")
    else:
        messages.success(request, f"You are no longer watching {space.name}.")
    return redirect("wiki:index", space_slug=space.slug)


# --- pages -----------------------------------------------------------------


@anonymous_cacheable
@viewer_cacheable
def page(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    """The page and its discussion; a page a moderator hid is a placeholder for everyone else."""
    found = access.get_page_for_user(request.user, space_slug, page_slug, allow_hidden=True)
    if found.slug != page_slug:
        return _to("wiki:page", found, permanent=True)
    can_moderate = space_access.can_moderate_space(request.user, found.space)
    if found.hidden_at is not None and not can_moderate:
        return render(request, "wiki/page.html", {"space": found.space, "page": found, "hidden": True})
    can_edit = access.can_edit_space(request.user, found.space)
    context = {
        "space": found.space,
        "page": found,
        "html": selectors.page_html(found),
        "children": found.children.all(),
        "attachments": attachments_of(found),
        "can_edit": can_edit,
        "can_moderate": can_moderate,
        "watching": _watching(request, page=found),
        **discussion_views.page_section(request, found, can_edit=can_edit, can_moderate=can_moderate),
    }
    return render(request, "wiki/page.html", context)


def _template_body(space: Space, template_id: str | None) -> str | None:
    if not template_id or not template_id.isdigit():
        return None
    template = selectors.templates_of(space).filter(pk=int(template_id)).first()
    return template.body if template else None


def create(request: HttpRequest, space_slug: str) -> HttpResponse:
    space = access.get_space_for_editor(request.user, space_slug)
    initial = {"title": request.GET.get("title", "")[:200], "parent": request.GET.get("parent")}
    body = _template_body(space, request.GET.get("template"))
    if body is not None:
        initial["body"] = body
    form = PageCreateForm(posted(request), space=space, initial=initial)
    if form.is_valid():
        actor, data, confirmed = signed_in(request), form.values(), form.confirmed
        created = attempt_confirmable(
            form, lambda: services.page_create(space=space, actor=actor, confirmed=confirmed, **data)
        )
        if created is not None:
            messages.success(request, f"The page {created.title} was created.")
            return _to("wiki:page", created)
    context = {
        "space": space,
        "form": form,
        "templates": selectors.templates_of(space),
        "chosen_template": request.GET.get("template", ""),
    }
    return render(request, "wiki/create.html", context)


def _conflict_form(request: HttpRequest, conflict: services.EditConflict) -> PageEditForm:
    """The editor again: the merge with conflict markers in the text, based on the page's head now."""
    data = request.POST.copy()
    data["body"] = conflict.body_with_conflicts
    data["base_revision"] = str(conflict.current_revision)
    form = PageEditForm(data)
    form.is_valid()
    form.add_error(
        "body",
        "Someone else changed this page while you were editing it, and some of their changes overlap "
        "with yours. Nothing has been saved yet. Resolve each conflict marked between <<<<<<< and "
        ">>>>>>> in the text, remove the markers, then save again.",
    )
    return form


def edit(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    found = access.get_page_for_editor(request.user, space_slug, page_slug)
    if found.slug != page_slug and request.method != "POST":
        return _to("wiki:edit", found)
    current = found.current
    initial = {"title": found.title, "body": current.body if current else "", "base_revision": found.head}
    form = PageEditForm(posted(request), initial=initial)
    conflict: services.EditConflict | None = None
    if form.is_valid():
        actor, data, confirmed = signed_in(request), form.values(), form.confirmed
        try:
            saved = attempt_confirmable(
                form, lambda: services.page_save(page=found, actor=actor, confirmed=confirmed, **data)
            )
        except services.EditConflict as exc:
            conflict, saved, form = exc, None, _conflict_form(request, exc)
        if saved is not None:
            number = saved.revision.number
            if saved.merged:
                messages.success(
                    request, f"Your changes were merged with edits made meanwhile (revision {number})."
                )
            else:
                messages.success(request, f"Your changes were saved (revision {number}).")
            return _to("wiki:page", found)  # the service updated found.slug
    context = {
        "space": found.space,
        "page": found,
        "form": form,
        "conflict": conflict,
        "conflict_rows": diff.side_by_side(conflict.their_body, conflict.your_body) if conflict else [],
    }
    status = 400 if "base_revision" in form.errors else 200
    return render(request, "wiki/edit.html", context, status=status)


def backlinks(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    found = access.get_page_for_user(request.user, space_slug, page_slug)
    if found.slug != page_slug:
        return _to("wiki:backlinks", found, permanent=True)
    context = {"space": found.space, "page": found, "pages": selectors.backlinks(found)}
    return render(request, "wiki/backlinks.html", context)


@require_POST
def watch_page(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    found = access.get_page_for_user(request.user, space_slug, page_slug)
    form = WatchForm(request.POST)
    watching = form.is_valid() and form.cleaned_data["watching"]
    services.watch_set(user=signed_in(request), watching=watching, page=found)
    if watching:
        messages.success(request, f"You are watching {found.title}: you will hear when it changes.")
    else:
        messages.success(request, f"You are no longer watching {found.title}.")
    return _to("wiki:page", found)


# --- revisions ---------------------------------------------------------------


def history(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    found = access.get_page_for_user(request.user, space_slug, page_slug)
    if found.slug != page_slug:
        return _to("wiki:history", found, permanent=True)
    revisions = Paginator(selectors.revisions_of(found), HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "space": found.space,
        "page": found,
        "revisions": revisions,
        "contributions": selectors.contributions(found),
        "can_edit": access.can_edit_space(request.user, found.space),
    }
    return render(request, "wiki/history.html", context)


def revision(request: HttpRequest, space_slug: str, page_slug: str, number: int) -> HttpResponse:
    found = access.get_page_for_user(request.user, space_slug, page_slug)
    if found.slug != page_slug:
        return _to("wiki:revision", found, permanent=True, number=number)
    context = {
        "space": found.space,
        "page": found,
        "revision": selectors.revision_of(found, number),
        "can_edit": access.can_edit_space(request.user, found.space),
    }
    return render(request, "wiki/revision.html", context)


def _number(value: str | None, default: int) -> int | None:
    """A revision number from the query string: the default when absent, None when not a number."""
    if value is None or value.strip() == "":
        return default
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def diff_view(request: HttpRequest, space_slug: str, page_slug: str) -> HttpResponse:
    found = access.get_page_for_user(request.user, space_slug, page_slug)
    if found.slug != page_slug:
        moved = _to("wiki:diff", found, permanent=True)
        moved["Location"] += f"?{request.GET.urlencode()}" if request.GET else ""
        return moved
    to_number = _number(request.GET.get("to"), found.head)
    from_number = _number(request.GET.get("from"), max((to_number or 1) - 1, 1))
    if to_number is None or from_number is None:
        return _bad_request(request, "Revision numbers must be whole numbers, such as ?from=3&to=5.")
    older, newer = selectors.revision_of(found, from_number), selectors.revision_of(found, to_number)
    unified_view = request.GET.get("view") == "unified"
    context = {
        "space": found.space,
        "page": found,
        "older": older,
        "newer": newer,
        "older_label": f"Revision {older.number}",
        "newer_label": f"Revision {newer.number}",
        "unified_view": unified_view,
        "rows": [] if unified_view else diff.side_by_side(older.body, newer.body),
        "unified": _unified(older, newer) if unified_view else "",
    }
    return render(request, "wiki/diff.html", context)


def _unified(older: Revision, newer: Revision) -> str:
    return diff.unified(
        older.body, newer.body, from_label=f"Revision {older.number}", to_label=f"Revision {newer.number}"
    )


def revert(request: HttpRequest, space_slug: str, page_slug: str, number: int) -> HttpResponse:
    """GET asks to confirm; POST makes a new revision with the old one's title and text."""
    found = access.get_page_for_editor(request.user, space_slug, page_slug)
    target = selectors.revision_of(found, number)
    form = RevertForm(posted(request))
    if form.is_valid():
        actor, summary = signed_in(request), form.cleaned_data["summary"]
        reverted = attempt(
            form, lambda: services.page_revert(page=found, actor=actor, revision=number, summary=summary)
        )
        if reverted is not None:
            messages.success(
                request, f"The page was put back to revision {number}, as a new revision {reverted.number}."
            )
            return _to("wiki:page", found)
    context = {"space": found.space, "page": found, "revision": target, "form": form}
    return render(request, "wiki/revert.html", context)


# --- page templates ------------------------------------------------------------


def templates(request: HttpRequest, space_slug: str) -> HttpResponse:
    space = space_access.get_space_for_manager(request.user, space_slug)
    form = PageTemplateForm(posted(request))
    if form.is_valid():
        actor, data = signed_in(request), form.cleaned_data
        created = attempt(form, lambda: services.page_template_create(space=space, actor=actor, **data))
        if created is not None:
            messages.success(request, f"The template {created.name} was added.")
            return redirect("wiki:templates", space_slug=space.slug)
    context = {"space": space, "form": form, "templates": selectors.templates_of(space)}
    return render(request, "wiki/templates.html", context)


def template_edit(request: HttpRequest, space_slug: str, pk: int) -> HttpResponse:
    template = access.get_template_for_manager(request.user, space_slug, pk)
    space = template.space
    form = PageTemplateForm(posted(request), initial={"name": template.name, "body": template.body})
    if form.is_valid():
        actor, data = signed_in(request), form.cleaned_data
        updated = attempt(form, lambda: services.page_template_update(template=template, actor=actor, **data))
        if updated is not None:
            messages.success(request, f"The template {updated.name} was saved.")
            return redirect("wiki:templates", space_slug=space.slug)
    return render(request, "wiki/template_edit.html", {"space": space, "template": template, "form": form})


@require_POST
def template_delete(request: HttpRequest, space_slug: str, pk: int) -> HttpResponse:
    template = access.get_template_for_manager(request.user, space_slug, pk)
    services.page_template_delete(template=template, actor=signed_in(request))
    messages.success(request, f"The template {template.name} was deleted. Pages made from it are unchanged.")
    return redirect("wiki:templates", space_slug=space_slug)
