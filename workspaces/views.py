from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from workspaces import actions
from workspaces.access import current_membership, membership_for
from workspaces.accounts import remember_invitation
from workspaces.forms import (
    InviteForm,
    RoleForm,
    WorkspaceCalendarForm,
    WorkspaceNameForm,
)
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
    pending = workspace.invitations.filter(accepted_at=None, revoked_at=None)

    ctx = {
        "membership": membership,
        "memberships": workspace.membership_set.select_related("user").order_by(
            "user__email"
        ),
        "invitations": pending.select_related("invited_by").order_by("email"),
        "invite_form": InviteForm(),
        "name_form": WorkspaceNameForm(initial={"name": workspace.name}),
        "calendar_form": WorkspaceCalendarForm(
            initial={
                "time_zone": workspace.time_zone,
                "week_start": workspace.week_start,
            }
        ),
        "role_choices": Membership.Role.choices,
        "audit_events": workspace.audit_events.select_related("actor")[:50],
    }
    return render(request, "workspaces/members.html", ctx)


@login_required
@require_POST
def calendar(request):
    membership = current_membership(request)
    form = WorkspaceCalendarForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("workspaces:members")

    try:
        actions.set_calendar(
            membership, form.cleaned_data["time_zone"], form.cleaned_data["week_start"]
        )
    except PermissionDenied as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Saved: Klips use this time zone and week start.")
    return redirect("workspaces:members")


@login_required
@require_POST
def rename(request):
    membership = current_membership(request)
    form = WorkspaceNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Workspace name: {form.errors['name'][0]}")
        return redirect("workspaces:members")

    try:
        actions.rename_workspace(membership, form.cleaned_data["name"])
    except PermissionDenied as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, f"The workspace is now called {form.cleaned_data['name']}."
        )
    return redirect("workspaces:members")


@login_required
@require_POST
def invite(request):
    membership = current_membership(request)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a valid e-mail address and role.")
        return redirect("workspaces:members")

    try:
        outcome = actions.invite_member(
            membership, form.cleaned_data["email"], form.cleaned_data["role"]
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _invite_sent_text(outcome))
    return redirect("workspaces:members")


def _invite_sent_text(outcome: actions.InviteOutcome) -> str:
    invitation = outcome.invitation
    role = invitation.get_role_display().lower()
    if not outcome.resent:
        return f"Invitation sent to {invitation.email} as {role}."
    changed = (
        f" (role changed from {Membership.Role(outcome.old_role).label.lower()})"
        if outcome.old_role != invitation.role
        else ""
    )
    return (
        f"{invitation.email} already had a pending invitation: it was sent again, "
        f"as {role}{changed}. The link in the earlier e-mail still works."
    )


@login_required
@require_POST
def revoke_invitation(request, invitation_id: int):
    membership = current_membership(request)

    try:
        invitation = actions.revoke_invitation(membership, invitation_id)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            f"The invitation of {invitation.email} was revoked; its link no "
            "longer works.",
        )
    return redirect("workspaces:members")


def _member_in_current_workspace(
    request, user_id: int
) -> tuple[Membership, Membership]:
    membership = current_membership(request)
    target = get_object_or_404(
        Membership.objects.select_related("user", "workspace"),
        workspace=membership.workspace,
        user__pk=user_id,
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


def accept(request, token: str):
    invitation = (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(token=token)
        .first()
    )
    if invitation is None:
        raise Http404

    refusal = actions.refusal_of(invitation)
    if invitation.revoked_at is not None:
        return _accept_page(request, invitation, refusal, status=410)
    if not request.user.is_authenticated:
        return _accept_signed_out(request, invitation, refusal)
    if invitation.accepted_at is not None and _is_member(request.user, invitation):
        # The link again, after joining (or straight after signing up with it).
        request.session[SESSION_KEY] = invitation.workspace_id
        messages.info(request, f"You are a member of {invitation.workspace.name}.")
        return redirect("home")
    if request.method != "POST":
        return _accept_page(request, invitation, refusal)

    try:
        membership = actions.accept_invitation(invitation, request.user)
    except ValidationError as error:
        return _accept_page(request, invitation, _error_text(error))

    request.session[SESSION_KEY] = membership.workspace_id
    messages.success(request, f"Welcome to {membership.workspace.name}.")
    return redirect("home")


def _accept_signed_out(request, invitation: Invitation, refusal: str):
    if request.method == "POST":
        return redirect_to_login(request.get_full_path())
    if not refusal:
        # Signing up from here joins this workspace (workspaces.accounts).
        remember_invitation(request, invitation)
    return _accept_page(request, invitation, refusal)


def _is_member(user, invitation: Invitation) -> bool:
    return Membership.objects.filter(
        workspace_id=invitation.workspace_id, user=user
    ).exists()


def _accept_page(request, invitation: Invitation, refusal: str, status: int = 200):
    ctx = {"invitation": invitation, "refusal": refusal}
    return render(request, "workspaces/accept.html", ctx, status=status)


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
