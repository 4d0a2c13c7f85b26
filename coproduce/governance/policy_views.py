"""The settings page for a space's guard policy (its facilitators and community admins)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from coproduce.communities.access import get_space_for_manager
from coproduce.governance.policy import fixed_kinds, space_guard_policy_set, space_policy
from coproduce.governance.policy_forms import GuardPolicyForm, kind_label
from coproduce.lib.views import attempt, posted, signed_in


@login_required
def guard_policy(request: HttpRequest, space_slug: str) -> HttpResponse:
    space = get_space_for_manager(request.user, space_slug)
    form = GuardPolicyForm(posted(request), policy=space_policy(space))
    if form.is_valid():
        actor, chosen = signed_in(request), form.cleaned_data
        if attempt(form, lambda: space_guard_policy_set(space=space, actor=actor, policy=chosen)) is not None:
            messages.success(request, f"The patient-data guard settings of {space.name} were saved.")
            return redirect("governance:guard_policy", space_slug=space.slug)
    context = {"space": space, "form": form, "fixed": [kind_label(kind) for kind in fixed_kinds()]}
    return render(request, "governance/guard_policy.html", context)
