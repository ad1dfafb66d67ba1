from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from workspaces.accounts import JOINS_BY_INVITATION
from workspaces.actions import create_workspace_for


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def give_new_user_a_workspace(sender, instance, created: bool, **kwargs) -> None:
    if not created or kwargs.get("raw"):
        return
    # Someone signing up through an invitation joins that workspace instead.
    if getattr(instance, JOINS_BY_INVITATION, False):
        return
    create_workspace_for(instance)
