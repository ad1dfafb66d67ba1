from django.conf import settings
from django.db import models
from django.utils import timezone

from connectors.crypto import EncryptedTextField


class Connection(models.Model):
    """A user's authorisation to read one Harvest identity, reusable by sources."""

    class AuthKind(models.TextChoices):
        OAUTH = "oauth", "OAuth2"
        PERSONAL_TOKEN = "pat", "Personal access token"

    class Status(models.TextChoices):
        OK = "ok", "OK"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnecting"

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="connections"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connections"
    )
    service = models.SlugField(default="harvest")
    name = models.CharField(max_length=255)
    auth_kind = models.CharField(max_length=8, choices=AuthKind.choices)

    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    # Who the token belongs to, from the accounts endpoint and /v2/users/me.
    harvest_identity_id = models.BigIntegerField(null=True, blank=True)
    harvest_user_name = models.CharField(max_length=255, blank=True)
    harvest_user_email = models.CharField(max_length=255, blank=True)
    harvest_time_zone = models.CharField(max_length=64, blank=True)
    accounts = models.JSONField(default=list, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OK)
    status_reason = models.CharField(max_length=500, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_reconnect(self) -> bool:
        return self.status == self.Status.NEEDS_RECONNECT

    def harvest_accounts(self) -> list[dict]:
        """Accounts this token reaches whose product is Harvest (not Forecast)."""
        return [a for a in self.accounts if a.get("product") == "harvest"]
