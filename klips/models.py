from django.conf import settings
from django.db import models
from django.utils import timezone


class Dashboard(models.Model):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="dashboards"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboards"
    )
    name = models.CharField(max_length=255)
    shared_with_workspace = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Klip(models.Model):
    """One visualisation on a dashboard; `spec` is validated by klips.spec."""

    class Kind(models.TextChoices):
        TABLE = "table", "Table"
        BAR = "bar", "Bar chart"
        LINE = "line", "Line chart"
        AREA = "area", "Area chart"
        PIE = "pie", "Pie chart"
        GAUGE = "gauge", "Gauge"
        NUMBER = "number", "Number"
        SCATTER = "scatter", "Scatter"
        HEATMAP = "heatmap", "Heatmap"

    dashboard = models.ForeignKey(
        Dashboard, on_delete=models.CASCADE, related_name="klips"
    )
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BAR)
    sources = models.ManyToManyField("datasources.DataSource", related_name="klips")
    spec = models.JSONField(default=dict)
    # Grid placement, in grid units.
    x = models.PositiveSmallIntegerField(default=0)
    y = models.PositiveSmallIntegerField(default=0)
    w = models.PositiveSmallIntegerField(default=6)
    h = models.PositiveSmallIntegerField(default=4)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["y", "x", "pk"]

    def __str__(self) -> str:
        return self.name


class DashboardShare(models.Model):
    """A dashboard shared with one member of its workspace, at a level.

    Sharing with the whole workspace is `Dashboard.shared_with_workspace` (at the
    "view" level); these rows are the per-member grants. klips/sharing.py is the
    only writer, klips/access.py the only reader.
    """

    class Level(models.TextChoices):
        VIEW = "view", "View"
        EDIT = "edit", "Edit"

    dashboard = models.ForeignKey(
        Dashboard, on_delete=models.CASCADE, related_name="shares"
    )
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.VIEW)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dashboard", "grantee"], name="one_share_per_dashboard_grantee"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dashboard} shared with {self.grantee} ({self.level})"


class PublishedLink(models.Model):
    """A secret, read-only URL of a dashboard for people without an account.

    The token is kept in clear so that its owner can copy the link again from
    the dashboard's publish page; it is 256 random bits, and revoking the link
    (revoked_at) ends it on the next request. An optional locked filter
    (lock_column = lock_value) is added server-side to every Klip's query.
    """

    dashboard = models.ForeignKey(
        Dashboard, on_delete=models.CASCADE, related_name="published_links"
    )
    token = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=255, blank=True)
    # A Django password hash (django.contrib.auth.hashers), empty for none.
    password = models.CharField(max_length=256, blank=True)
    lock_column = models.CharField(max_length=255, blank=True)
    lock_value = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lock_value", "created_at"]

    def __str__(self) -> str:
        return f"published link {self.pk} of {self.dashboard}"

    @property
    def locked(self) -> bool:
        return bool(self.lock_column)
