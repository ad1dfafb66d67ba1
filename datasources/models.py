from django.conf import settings
from django.db import models
from django.utils import timezone

from connectors.catalog import get_recipe, recipe_reading
from datasources.modelling import default_columns


class DataSource(models.Model):
    """A Query URL on a connection and account, refreshed on a schedule."""

    class Status(models.TextChoices):
        NEW = "new", "Never refreshed"
        OK = "ok", "OK"
        STALE = "stale", "Stale"
        PAUSED = "paused", "Paused"

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="data_sources"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_sources"
    )
    connection = models.ForeignKey(
        "connectors.Connection",
        on_delete=models.SET_NULL,
        null=True,
        related_name="data_sources",
    )
    name = models.CharField(max_length=255)
    service = models.SlugField(default="harvest")
    # The catalog slug of a pre-built source, empty for a custom one.
    recipe = models.SlugField(max_length=100, blank=True)
    account_id = models.BigIntegerField()
    # Path and query below the API base, with {{relative_date}} placeholders,
    # e.g. "/v2/time_entries?from={{start_of_month}}&to={{end_of_month}}".
    query_url = models.CharField(max_length=2000)
    # The modelled columns: [{"name", "path", "type", "hidden"}], see modelling.py.
    columns = models.JSONField(default=list, blank=True)
    shared_with_workspace = models.BooleanField(default=False)

    # Schedule: every N minutes, daily at a local time, or manual only.
    refresh_minutes = models.PositiveIntegerField(null=True, blank=True, default=60)
    daily_at = models.TimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    # Health, kept on the row.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    last_error = models.TextField(blank=True)
    failure_count = models.PositiveIntegerField(default=0)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    stale_since = models.DateTimeField(null=True, blank=True)
    # When the owner was last told this source keeps failing; a source is only
    # paused after they were warned.
    warned_at = models.DateTimeField(null=True, blank=True)
    current_version = models.ForeignKey(
        "DataVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def account_label(self) -> str:
        """The Harvest account as its connection names it: "Agency (4411001)"."""
        accounts = self.connection.accounts if self.connection else []
        name = next(
            (a.get("name") for a in accounts if a.get("id") == self.account_id), ""
        )
        return f"{name} ({self.account_id})" if name else str(self.account_id)

    def column_model(self) -> list[dict]:
        """The modelled columns; until a refresh with rows models the source, the
        columns its catalog recipe shows first, or for a custom Query URL those of
        a recipe on the same path (so Klips can be built already)."""
        if self.columns:
            return list(self.columns)
        if self.recipe:
            recipe = get_recipe(self.service, self.recipe)
        else:
            recipe = recipe_reading(self.service, self.query_url)
        paths = recipe.default_columns if recipe else ()
        return [column.model_dump(mode="json") for column in default_columns(paths)]


class DataVersion(models.Model):
    """One complete snapshot of a source's records, stored as a file."""

    source = models.ForeignKey(
        DataSource, on_delete=models.CASCADE, related_name="versions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Name in Django's default storage of the Parquet file holding the records.
    file_name = models.CharField(max_length=500)
    row_count = models.PositiveIntegerField(default=0)
    byte_size = models.PositiveBigIntegerField(default=0)
    # For a version cut from a collection mirror: the mirror file and the
    # query, so an unchanged pair reuses this version instead of copying.
    derived_from = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.source} v{self.pk} ({self.row_count} rows)"


class RefreshRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(
        DataSource, on_delete=models.CASCADE, related_name="runs"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    trigger = models.CharField(max_length=20, default="schedule")
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages_done = models.PositiveIntegerField(default=0)
    pages_total = models.PositiveIntegerField(null=True, blank=True)
    requests = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    version = models.ForeignKey(
        DataVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-queued_at"]

    def __str__(self) -> str:
        return f"run {self.pk} of source {self.source_id}: {self.status}"

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None


class Mirror(models.Model):
    """A local copy of one Harvest collection, kept for every source built on it.

    The records live in a Parquet file (`file_name` in default storage); this
    row holds what the next sync needs: the watermark for `updated_since` and
    when everything was last re-listed (Harvest never reports deletions).
    """

    connection = models.ForeignKey(
        "connectors.Connection", on_delete=models.CASCADE, related_name="mirrors"
    )
    account_id = models.BigIntegerField()
    # The collection's path below /v2/, e.g. "time_entries".
    collection = models.SlugField(max_length=50)
    file_name = models.CharField(max_length=500, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    byte_size = models.PositiveBigIntegerField(default=0)
    # When the last successful sync started (our clock); the next one asks for
    # what changed since then, minus an overlap.
    watermark = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_full_at = models.DateTimeField(null=True, blank=True)
    last_sync_requests = models.PositiveIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "account_id", "collection"],
                name="one_mirror_per_collection",
            )
        ]

    def __str__(self) -> str:
        return f"{self.collection} of account {self.account_id} ({self.row_count})"


class SourceShare(models.Model):
    """A data source shared with one member of its workspace, at a level.

    Sharing with the whole workspace is `DataSource.shared_with_workspace` (at
    the "use" level); these rows are the per-member grants. datasources/sharing.py
    is the only writer, datasources/access.py the only reader.
    """

    class Level(models.TextChoices):
        USE = "use", "Use in Klips"
        EDIT = "edit", "Edit"

    source = models.ForeignKey(
        DataSource, on_delete=models.CASCADE, related_name="shares"
    )
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.USE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "grantee"], name="one_share_per_source_grantee"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} shared with {self.grantee} ({self.level})"
