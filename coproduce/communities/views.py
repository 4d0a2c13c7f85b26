"""Membership and spaces in the browser: parse the form, one access helper, one service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from coproduce.accounts.models import Role, User
from coproduce.communities import access, selectors, services
from coproduce.communities.forms import (
    AcceptInvitationForm,
    AllowedDomainForm,
    ApplicationForm,
    BulkDecisionForm,
    DecisionForm,
    InvitationForm,
    RoleForm,
    SpaceCreateForm,
    SpaceMemberForm,
    SpaceSettingsForm,
)
from coproduce.communities.models import AllowedDomain, Application
from coproduce.core.pagecache import anonymous_cacheable
from coproduce.core.viewercache import viewer_cacheable
from coproduce.governance.safety import UnsafeContent
from coproduce.lib.errors import Conflict
from coproduce.lib.ratelimit import RateLimited, client_address
from coproduce.lib.views import apply_errors, apply_unsafe, attempt, posted, signed_in

PER_PAGE = 50


# --- applications -----------------------------------------------------------


def apply(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(posted(request))
    if form.is_valid():
        data, ip = form.cleaned_data, client_address(request)
        try:
            application = attempt(form, lambda: services.application_submit(**data, ip=ip))
        except RateLimited as exc:
            minutes = max(1, exc.retry_after // 60)
            form.add_error(
                None,
                "Too many applications have been sent from your address recently. "
                f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}; "
                "what you typed is kept below.",
            )
            response = render(request, "communities/apply.html", {"form": form}, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        if application is not None:
            request.session["application_status"] = application.status
            return redirect("communities:apply_thanks")
    return render(request, "communities/apply.html", {"form": form})


def apply_thanks(request: HttpRequest) -> HttpResponse:
    status = request.session.get("application_status", Application.Status.PENDING)
    return render(
        request, "communities/apply_thanks.html", {"approved": status == Application.Status.APPROVED}
    )


def _queue(request: HttpRequest, form: BulkDecisionForm, status: str = "pending") -> HttpResponse:
    statuses = [*Application.Status.values, "all"]
    status = status if status in statuses else "pending"
    applications = selectors.applications_with_status("" if status == "all" else status)
    context = {
        "page": Paginator(applications, PER_PAGE).get_page(request.GET.get("page")),
        "status": status,
        "statuses": [*Application.Status.choices, ("all", "All")],
        "form": form,
        "selected": request.POST.getlist("applications"),
    }
    return render(request, "communities/applications.html", context)


@login_required
def applications(request: HttpRequest) -> HttpResponse:
    access.require_community_admin(request.user)
    return _queue(request, BulkDecisionForm(), request.GET.get("status", "pending"))


@login_required
@require_POST
def applications_bulk(request: HttpRequest) -> HttpResponse:
    """Approve or reject several applications: one service call each; refusals are listed."""
    actor = access.require_community_admin(request.user)
    form = BulkDecisionForm(request.POST)
    if form.is_valid():
        decide = (
            services.application_approve
            if form.cleaned_data["decision"] == "approve"
            else services.application_reject
        )
        done = 0
        for application in form.cleaned_data["applications"]:
            try:
                decide(application=application, actor=actor, reason=form.cleaned_data["reason"])
                done += 1
            except Conflict as exc:
                form.add_error(None, f"{application.name}: {exc.messages[0]}")
            except UnsafeContent as exc:
                apply_unsafe(form, exc)
                break
            except ValidationError as exc:
                apply_errors(form, exc)
                break
        if done:
            verb = "approved" if form.cleaned_data["decision"] == "approve" else "rejected"
            messages.success(request, f"{done} application{'s' if done != 1 else ''} {verb}.")
        if not form.errors:
            return redirect("communities:applications")
    return _queue(request, form)


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = access.get_application_for_admin(request.user, pk)
    context = {
        "application": application,
        "approve_form": DecisionForm(prefix="approve"),
        "reject_form": DecisionForm(prefix="reject", require_reason=True),
    }
    return render(request, "communities/application_detail.html", context)


@login_required
@require_POST
def application_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    application = access.get_application_for_admin(request.user, pk)
    actor = signed_in(request)
    rejecting = decision == "reject"
    form = DecisionForm(request.POST, prefix=decision, require_reason=rejecting)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        if rejecting:
            done = attempt(
                form, lambda: services.application_reject(application=application, actor=actor, reason=reason)
            )
        else:
            done = attempt(
                form,
                lambda: services.application_approve(application=application, actor=actor, reason=reason),
            )
        if done is not None:
            messages.success(
                request, f"{application.name}'s application was {done.get_status_display().lower()}."
            )
            return redirect("communities:applications")
    context = {
        "application": application,
        "approve_form": DecisionForm(prefix="approve") if rejecting else form,
        "reject_form": form if rejecting else DecisionForm(prefix="reject", require_reason=True),
    }
    return render(request, "communities/application_detail.html", context)


# --- invitations ------------------------------------------------------------


@login_required
def invitations(request: HttpRequest) -> HttpResponse:
    actor = access.require_community_admin(request.user)
    form = InvitationForm(posted(request))
    if form.is_valid():
        data = form.cleaned_data
        created = attempt(form, lambda: services.invitation_create(**data, actor=actor))
        if created is not None:
            messages.success(request, f"Invitation sent to {created.email}.")
            return redirect("communities:invitations")
    page = Paginator(selectors.invitations_recent(), PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "invitation_days": settings.INVITATION_DAYS}
    return render(request, "communities/invitations.html", context)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = access.get_invitation_for_admin(request.user, pk)
    try:
        services.invitation_revoke(invitation=invitation, actor=signed_in(request))
        messages.success(request, f"The invitation for {invitation.email} was withdrawn.")
    except Conflict as exc:
        messages.error(request, exc.messages[0])
    return redirect("communities:invitations")


def join(request: HttpRequest, token: str) -> HttpResponse:
    form = AcceptInvitationForm(posted(request))
    try:
        invitation = services.invitation_check(selectors.invitation_by_token(token))
        if form.is_valid():
            data = form.cleaned_data
            user = attempt(
                form,
                lambda: services.invitation_accept(
                    raw_token=token, name=data["name"], username=data["username"], password=data["password1"]
                ),
            )
            if user is not None:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request, f"Welcome, {user.display_name}. You are now a {user.get_role_display()}."
                )
                return redirect("core:home")
    except services.InvitationUnusable as exc:
        return render(request, "communities/join_unusable.html", {"message": exc.message}, status=exc.status)
    return render(request, "communities/join.html", {"form": form, "invitation": invitation})


# --- e-mail domain allow-list -------------------------------------------------


@login_required
def allowed_domains(request: HttpRequest) -> HttpResponse:
    actor = access.require_community_admin(request.user)
    form = AllowedDomainForm(posted(request))
    if form.is_valid():
        domain = form.cleaned_data["domain"]
        added = attempt(form, lambda: services.allowed_domain_add(domain=domain, actor=actor))
        if added is not None:
            messages.success(request, f"{added.domain} was added to the allow-list.")
            return redirect("communities:allowed_domains")
    context = {"form": form, "domains": AllowedDomain.objects.select_related("created_by")}
    return render(request, "communities/allowed_domains.html", context)


@login_required
@require_POST
def allowed_domain_remove(request: HttpRequest, pk: int) -> HttpResponse:
    allowed = access.get_allowed_domain_for_admin(request.user, pk)
    services.allowed_domain_remove(allowed_domain=allowed, actor=signed_in(request))
    messages.success(request, f"{allowed.domain} was removed from the allow-list.")
    return redirect("communities:allowed_domains")


# --- roles ------------------------------------------------------------------


def _members_page(
    request: HttpRequest, *, failed: User | None = None, form: RoleForm | None = None
) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = Paginator(selectors.community_people(query), PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "q": query, "roles": Role.choices, "failed": failed, "form": form}
    return render(request, "communities/members.html", context)


@login_required
def members(request: HttpRequest) -> HttpResponse:
    access.require_community_admin(request.user)
    return _members_page(request)


@login_required
@require_POST
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    person = access.get_person_for_admin(request.user, pk)
    actor = signed_in(request)
    form = RoleForm(request.POST)
    if form.is_valid():
        role = form.cleaned_data["role"]
        changed = attempt(form, lambda: services.member_set_role(user=person, role=role, actor=actor))
        if changed is not None:
            messages.success(request, f"{changed.display_name} is now: {changed.get_role_display()}.")
            return redirect("communities:members")
    return _members_page(request, failed=person, form=form)


# --- spaces -----------------------------------------------------------------


def space_list(request: HttpRequest) -> HttpResponse:
    spaces = access.spaces_readable_by(request.user).order_by("name")
    context = {"spaces": spaces, "can_create": access.can_create_space(request.user)}
    return render(request, "communities/space_list.html", context)


@login_required
def space_create(request: HttpRequest) -> HttpResponse:
    actor = access.require_facilitator(request.user)
    form = SpaceCreateForm(posted(request))
    if form.is_valid():
        data = form.cleaned_data
        space = attempt(form, lambda: services.space_create(**data, actor=actor))
        if space is not None:
            messages.success(request, f"The space {space.name} was created. You are its facilitator.")
            return redirect("communities:space", slug=space.slug)
    return render(request, "communities/space_create.html", {"form": form})


@anonymous_cacheable
@viewer_cacheable
def space_detail(request: HttpRequest, slug: str) -> HttpResponse:
    space = access.get_space_for_user(request.user, slug)
    context = {
        "space": space,
        "memberships": selectors.space_memberships(space),
        "can_manage": access.can_manage_space(request.user, space),
    }
    return render(request, "communities/space_detail.html", context)


@login_required
def space_settings(request: HttpRequest, slug: str) -> HttpResponse:
    space = access.get_space_for_manager(request.user, slug)
    actor = signed_in(request)
    initial = {"name": space.name, "description": space.description, "visibility": space.visibility}
    form = SpaceSettingsForm(posted(request), initial=initial)
    if form.is_valid():
        data = form.cleaned_data
        if attempt(form, lambda: services.space_update(space=space, actor=actor, **data)) is not None:
            messages.success(request, "The space's settings were saved.")
            return redirect("communities:space", slug=space.slug)
    return render(request, "communities/space_settings.html", {"space": space, "form": form})


@login_required
def space_members(request: HttpRequest, slug: str) -> HttpResponse:
    space = access.get_space_for_manager(request.user, slug)
    actor = signed_in(request)
    form = SpaceMemberForm(posted(request))
    if form.is_valid():
        data = form.cleaned_data
        person = User.objects.filter(username__iexact=data["username"].strip(), is_active=True).first()
        if person is None:
            form.add_error("username", f"No one has the username {data['username']}. Check the spelling.")
        elif attempt(
            form, lambda: services.space_member_add(space=space, user=person, role=data["role"], actor=actor)
        ):
            messages.success(request, f"{person.display_name} is in the space as {data['role']}.")
            return redirect("communities:space_members", slug=space.slug)
    context = {"space": space, "form": form, "memberships": selectors.space_memberships(space)}
    return render(request, "communities/space_members.html", context)


@login_required
@require_POST
def space_member_remove(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    space = access.get_space_for_manager(request.user, slug)
    person = User.objects.filter(pk=user_id).first()
    try:
        if person is None:
            raise Conflict("That person is not a member of this space.")
        services.space_member_remove(space=space, user=person, actor=signed_in(request))
        messages.success(request, f"{person.display_name} was removed from the space.")
    except Conflict as exc:
        messages.error(request, exc.messages[0])
    return redirect("communities:space_members", slug=space.slug)
