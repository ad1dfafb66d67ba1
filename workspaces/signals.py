from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from workspaces.actions import create_workspace_for


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def give_new_user_a_workspace(sender, instance, created: bool, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        create_workspace_for(instance)
