from django.conf import settings
from django.db import models
from django.utils import timezone


class Workspace(models.Model):
    """A team's space: every connection, source, Klip and dashboard lives in one."""

    name = models.CharField(max_length=255)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="IANA zone for relative dates and schedules; empty means the "
        "connecting Harvest user's zone, then UTC.",
    )
    # Python's weekday numbers, as Klips' week buckets and this/last-week use them.
    week_start = models.PositiveSmallIntegerField(
        default=0,
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ],
        help_text="First day of a week in Klips; set it to your Harvest company's.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="workspaces"
    )

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        EDITOR = "editor", "Editor"
        VIEWER = "viewer", "Viewer"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} as {self.role}"

    @property
    def can_edit(self) -> bool:
        return self.role in {self.Role.ADMIN, self.Role.EDITOR}


class Invitation(models.Model):
    """An e-mailed invitation to join a workspace with a role; single use."""

    # TODO: a pending invitation never expires; only an admin's revoke ends it.
    # An expiry (say 14 days from sent_at, re-sending extends it) belongs in
    # workspaces.actions.refusal_of and the team page's pending list.

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(
        max_length=16, choices=Membership.Role.choices, default=Membership.Role.EDITOR
    )
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Inviting a pending address again re-sends the same link and moves this.
    sent_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            # Two admins inviting the same address at once, or a double submit,
            # still leave one link to answer.
            models.UniqueConstraint(
                fields=["workspace", "email"],
                condition=models.Q(accepted_at=None, revoked_at=None),
                name="one_pending_invitation_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.workspace}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def was_resent(self) -> bool:
        # sent_at and created_at are set a moment apart on the first sending.
        return (self.sent_at - self.created_at).total_seconds() > 1


class AuditEvent(models.Model):
    """Who changed access to what: shares, links, memberships, connections."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=255)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.target}"
