"""One workspace with every persona the access rules know, plus a foreign one.

The owner (admin) has a connection, two data sources with stored rows, two
dashboards with a Klip each, a refresh run per source and a published link.
Teammates hold shares at each level; a revoked teammate had edit shares that
were taken back through the sharing actions; the outsider owns the same kinds
of objects in a workspace of their own (the "foreign" ids).
"""

import itertools
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from connectors.models import Connection
from datasources import sharing as source_sharing
from datasources.models import DataSource, DataVersion, RefreshRun, SourceShare
from klips import published
from klips import sharing as dashboard_sharing
from klips.models import Dashboard, DashboardShare, Klip, PublishedLink
from workspaces.models import Membership, Workspace

PASSWORD = "correct horse battery"
CLIENTS = ("Acme Corp", "Globex")
_numbers = itertools.count(1)

ENTRIES = [
    {"client": {"name": "Acme Corp"}, "project": {"name": "Website"}, "hours": 2.5},
    {"client": {"name": "Acme Corp"}, "project": {"name": "Website"}, "hours": 1.0},
    {"client": {"name": "Acme Corp"}, "project": {"name": "Audit"}, "hours": 4.0},
    {"client": {"name": "Globex"}, "project": {"name": "Launch"}, "hours": 7.25},
    {"client": {"name": "Globex"}, "project": {"name": "Website"}, "hours": 0.5},
]
COLUMNS = [
    {"name": "Client name", "path": "client.name", "type": "text", "hidden": False},
    {"name": "Project name", "path": "project.name", "type": "text", "hidden": False},
    {"name": "Hours", "path": "hours", "type": "hours", "hidden": False},
]
HOURS_BY_CLIENT = {
    "sources": [],
    "group_by": [{"column": "Client name"}],
    "measures": [{"column": "Hours", "agg": "sum"}],
}
HOURS_BY_PROJECT = {
    "sources": [],
    "group_by": [{"column": "Project name"}],
    "measures": [{"column": "Hours", "agg": "sum"}],
}


@pytest.fixture
def isolated_storage(settings, tmp_path):
    """Parquet files in the test's own folder, a cold cache, a fast hasher."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    settings.DATASET_CACHE_DIR = tmp_path / "dataset-cache"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # The local-memory cache outlives a test; results and counters must not.
    cache.clear()


def make_user(email: str):
    return get_user_model().objects.create_user(
        username=email, email=email, password=PASSWORD
    )


def join(workspace: Workspace, user, role: str = Membership.Role.EDITOR) -> None:
    Membership.objects.create(workspace=workspace, user=user, role=role)


def store_rows(source: DataSource, records: list[dict]) -> DataVersion:
    """Write records as the source's current version, as a refresh would."""
    from datasources.modelling import flatten

    name = f"datasets/{source.pk}/{next(_numbers)}.parquet"
    default_storage.save(name, ContentFile(b""))
    pq.write_table(
        pa.Table.from_pylist([flatten(r) for r in records]), default_storage.path(name)
    )
    version = DataVersion.objects.create(
        source=source, file_name=name, row_count=len(records)
    )
    source.current_version = version
    source.status = DataSource.Status.OK
    source.save(update_fields=["current_version", "status"])
    return version


def make_source(workspace, owner, connection, name: str) -> DataSource:
    source = DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        connection=connection,
        name=name,
        account_id=4411001,
        query_url="/v2/time_entries?from={{start_of_month}}",
        columns=COLUMNS,
    )
    store_rows(source, ENTRIES)
    return source


def make_dashboard(workspace, owner, source: DataSource, name: str, spec: dict):
    dashboard = Dashboard.objects.create(workspace=workspace, owner=owner, name=name)
    klip = Klip.objects.create(
        dashboard=dashboard,
        name=f"{name} Klip",
        kind=Klip.Kind.BAR,
        spec={**spec, "sources": [source.pk]},
    )
    klip.sources.set([source])
    return dashboard, klip


@dataclass
class Estate:
    """The objects one owner holds in one workspace."""

    workspace: Workspace
    connection: Connection
    source: DataSource
    source_b: DataSource
    run: RefreshRun
    run_b: RefreshRun
    dashboard: Dashboard
    klip: Klip
    dashboard_b: Dashboard
    klip_b: Klip
    link: PublishedLink


def make_estate(workspace: Workspace, owner) -> Estate:
    connection = Connection.objects.create(
        workspace=workspace,
        owner=owner,
        name=f"{owner.email}@Harvest",
        auth_kind=Connection.AuthKind.PERSONAL_TOKEN,
        access_token="not-a-real-token",
        accounts=[{"id": 4411001, "name": "Acme", "product": "harvest"}],
    )
    source = make_source(workspace, owner, connection, "Time entries")
    source_b = make_source(workspace, owner, connection, "More time entries")
    dashboard, klip = make_dashboard(workspace, owner, source, "Hours", HOURS_BY_CLIENT)
    dashboard_b, klip_b = make_dashboard(
        workspace, owner, source_b, "Projects", HOURS_BY_PROJECT
    )
    return Estate(
        workspace=workspace,
        connection=connection,
        source=source,
        source_b=source_b,
        run=RefreshRun.objects.create(source=source, status="succeeded"),
        run_b=RefreshRun.objects.create(source=source_b, status="succeeded"),
        dashboard=dashboard,
        klip=klip,
        dashboard_b=dashboard_b,
        klip_b=klip_b,
        link=published.create_link(dashboard, owner, label="Everything"),
    )


@dataclass
class World:
    owner: object
    editor: object
    viewer: object
    member: object
    revoked: object
    outsider: object
    mine: Estate
    foreign: Estate
    users: dict = field(default_factory=dict)


def build_world() -> World:
    owner = make_user("owner@example.com")
    workspace = Workspace.objects.get(membership__user=owner)
    editor = make_user("editor@example.com")
    viewer = make_user("viewer@example.com")
    member = make_user("member@example.com")
    revoked = make_user("revoked@example.com")
    for user in (editor, viewer, member, revoked):
        join(workspace, user)
    outsider = make_user("outsider@example.com")
    outsider_workspace = Workspace.objects.get(membership__user=outsider)

    mine = make_estate(workspace, owner)
    foreign = make_estate(outsider_workspace, outsider)
    for source in (mine.source, mine.source_b):
        _share_source(source, owner, editor, SourceShare.Level.EDIT)
        _share_source(source, owner, viewer, SourceShare.Level.USE)
        _share_source(source, owner, revoked, SourceShare.Level.EDIT)
        source_sharing.unshare_source(source, owner, str(revoked.pk))
    for dashboard in (mine.dashboard, mine.dashboard_b):
        _share_dashboard(dashboard, owner, editor, DashboardShare.Level.EDIT)
        _share_dashboard(dashboard, owner, viewer, DashboardShare.Level.VIEW)
        _share_dashboard(dashboard, owner, revoked, DashboardShare.Level.EDIT)
        dashboard_sharing.unshare_dashboard(dashboard, owner, str(revoked.pk))

    users = {
        "owner": owner,
        "editor": editor,
        "viewer": viewer,
        "member": member,
        "revoked": revoked,
        "outsider": outsider,
    }
    return World(owner, editor, viewer, member, revoked, outsider, mine, foreign, users)


def _share_source(source, owner, user, level) -> None:
    source_sharing.share_source(source, owner, str(user.pk), level)


def _share_dashboard(dashboard, owner, user, level) -> None:
    dashboard_sharing.share_dashboard(dashboard, owner, str(user.pk), level)
