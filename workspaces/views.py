from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from workspaces import actions
from workspaces.access import current_membership, membership_for
from workspaces.forms import InviteForm, RoleForm
from workspaces.middleware import SESSION_KEY
from workspaces.models import Invitation, Membership


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


@login_required
def members(request):
    membership = current_membership(request)
    workspace = membership.workspace

    ctx = {
        "membership": membership,
        "memberships": workspace.membership_set.select_related("user").order_by(
            "user__email"
        ),
        "invitations": workspace.invitations.filter(accepted_at=None),
        "invite_form": InviteForm(),
        "role_choices": Membership.Role.choices,
        "audit_events": workspace.audit_events.select_related("actor")[:50],
    }
    return render(request, "workspaces/members.html", ctx)


@login_required
@require_POST
def invite(request):
    membership = current_membership(request)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a valid e-mail address and role.")
        return redirect("workspaces:members")

    try:
        actions.invite_member(
            membership, form.cleaned_data["email"], form.cleaned_data["role"]
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
    return redirect("workspaces:members")


def _member_in_current_workspace(
    request, user_id: int
) -> tuple[Membership, Membership]:
    membership = current_membership(request)
    target = get_object_or_404(
        Membership.objects.select_related("user", "workspace"),
        workspace=membership.workspace,
        user_id=user_id,
    )
    return membership, target


@login_required
@require_POST
def set_role(request, user_id: int):
    membership, target = _member_in_current_workspace(request, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose admin, editor or viewer.")
        return redirect("workspaces:members")

    try:
        actions.change_role(membership, target, form.cleaned_data["role"])
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    return redirect("workspaces:members")


@login_required
@require_POST
def remove(request, user_id: int):
    membership, target = _member_in_current_workspace(request, user_id)

    try:
        actions.remove_member(membership, target)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
        return redirect("workspaces:members")

    if target.user_id == request.user.pk:
        request.session.pop(SESSION_KEY, None)
        messages.success(request, f"You left {membership.workspace.name}.")
        return redirect("home")
    messages.success(request, f"{target.user.email} was removed.")
    return redirect("workspaces:members")


@login_required
def accept(request, token: str):
    invitation = (
        Invitation.objects.select_related("workspace").filter(token=token).first()
    )
    if invitation is None:
        raise Http404

    if request.method != "POST":
        return render(request, "workspaces/accept.html", {"invitation": invitation})

    try:
        membership = actions.accept_invitation(invitation, request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return render(request, "workspaces/accept.html", {"invitation": invitation})

    request.session[SESSION_KEY] = membership.workspace_id
    messages.success(request, f"Welcome to {membership.workspace.name}.")
    return redirect("home")


@login_required
@require_POST
def switch(request):
    try:
        workspace_id = int(request.POST.get("workspace", ""))
    except ValueError:
        raise Http404 from None

    membership = membership_for(request.user, workspace_id)
    request.session[SESSION_KEY] = membership.workspace_id
    return redirect("home")
