"""Fixture data sources for Klips: Parquet versions written straight to storage."""

import itertools

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage

from datasources.modelling import flatten, infer_columns
from datasources.models import DataSource, DataVersion

_file_numbers = itertools.count(1)
_entry_ids = itertools.count(1001)


@pytest.fixture(autouse=True)
def _isolated_storage_and_cache(settings, tmp_path):
    """Each test writes its Parquet files to its own folder and starts cold."""
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
    # The local-memory cache outlives a settings change; start each test empty.
    cache.clear()
    # Personas are made per test; the real hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def write_version(source: DataSource, records: list[dict]) -> DataVersion:
    """Store records as the source's new current version."""
    flat = [flatten(record) for record in records]
    table = pa.Table.from_pylist(flat) if flat else pa.table({})
    name = f"datasets/{source.pk}/{next(_file_numbers)}.parquet"
    path = default_storage.path(name)
    default_storage.save(name, _empty_file())
    pq.write_table(table, path)

    version = DataVersion.objects.create(
        source=source, file_name=name, row_count=len(flat)
    )
    source.current_version = version
    source.status = DataSource.Status.OK
    source.save(update_fields=["current_version", "status"])
    return version


def _empty_file():
    from django.core.files.base import ContentFile

    return ContentFile(b"")


def make_source(
    workspace,
    owner,
    records: list[dict] | None,
    *,
    name: str = "Time entries (this month)",
    columns: list[dict] | None = None,
    shared: bool = False,
) -> DataSource:
    """A source with modelled columns; None records means never refreshed."""
    if columns is None:
        columns = [
            c.model_dump(mode="json")
            for c in infer_columns(flatten(r) for r in records or [])
        ]
    source = DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        name=name,
        account_id=1,
        query_url="/v2/time_entries",
        columns=columns,
        shared_with_workspace=shared,
    )
    if records is not None:
        write_version(source, records)
    return source


def entry(project: str, hours: float, spent_date: str, **extra) -> dict:
    """A Harvest-shaped time entry."""
    return {
        "id": next(_entry_ids),
        "spent_date": spent_date,
        "hours": hours,
        "billable": extra.pop("billable", True),
        "project": {"id": sum(map(ord, project)), "name": project},
        "user": {"id": 1, "name": extra.pop("user", "Ada Lovelace")},
        **extra,
    }


ENTRIES = [
    entry("Apollo", 2.5, "2026-11-30", user="Ada"),  # Monday, week 2026-11-30
    entry("Apollo", 1.5, "2026-12-01", user="Grace"),
    entry("Borealis", 4.0, "2026-12-02", user="Ada"),
    entry("Borealis", 3.0, "2026-12-07", user="Ada"),  # next Monday
    entry("Cygnus", 0.5, "2026-12-08", user="Linus", billable=False),
    entry("Apollo", 6.0, "2026-12-09", user="Ada"),
]


@pytest.fixture
def time_entries(workspace, owner) -> DataSource:
    return make_source(workspace, owner, ENTRIES)
