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
