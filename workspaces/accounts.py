"""Sign-up through an invitation link joins the invited workspace.

A new user normally gets a workspace of their own (workspaces.signals). Someone
who opened an invitation link before signing up came to join a team: they get
that membership instead of an empty personal workspace (which would make them
start in the wrong place with a second "My dashboard" in it). Holding the link
proves they read the e-mail sent to that address, so the address counts as
verified. Typing another address at sign-up is an ordinary sign-up.
"""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.db import transaction

from workspaces import actions
from workspaces.middleware import SESSION_KEY
from workspaces.models import Invitation

logger = logging.getLogger(__name__)

INVITATION_SESSION_KEY = "workspace_invitation_token"
# Read by workspaces.signals: the user joins a workspace, none is made for them.
JOINS_BY_INVITATION = "_joins_workspace_by_invitation"


def remember_invitation(request, invitation: Invitation) -> None:
    """Called when a signed-out visitor opens a pending invitation's link."""
    request.session[INVITATION_SESSION_KEY] = invitation.token


def remembered_invitation(request, email: str) -> Invitation | None:
    token = request.session.get(INVITATION_SESSION_KEY)
    if not token:
        return None
    invitation = (
        Invitation.objects.select_related("workspace")
        .filter(token=token, email=(email or "").strip().lower())
        .first()
    )
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


def user_display(user) -> str:
    """How allauth names a user ("Signed in as …"): the address they log in with,
    not the username allauth derived from it."""
    return user.email or user.get_username()


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        invitation = remembered_invitation(request, user.email)
        if invitation is not None:
            setattr(user, JOINS_BY_INVITATION, True)
            # allauth reads this when it records the address (as verified).
            # Stashed only now, for the invited address: a stash made earlier
            # would become the primary address of whatever was typed.
            self.stash_verified_email(request, invitation.email)
        if not commit:
            return user

        with transaction.atomic():
            user.save()
            if invitation is not None:
                membership = actions.accept_invitation(invitation, user)
                request.session[SESSION_KEY] = membership.workspace_id
        if invitation is not None:
            request.session.pop(INVITATION_SESSION_KEY, None)
            messages.success(
                request,
                f"Welcome to {invitation.workspace.name}: you joined as "
                f"{invitation.get_role_display().lower()}.",
            )
            logger.info(
                "signed up through invitation user=%s workspace=%s invitation=%s",
                user.pk,
                invitation.workspace_id,
                invitation.pk,
            )
        return user
