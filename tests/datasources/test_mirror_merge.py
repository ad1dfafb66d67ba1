"""Merging Harvest pages into a collection mirror (pages served by `responses`)."""

from django.core.files.storage import default_storage
from django.urls import reverse

from datasources.models import Mirror, RefreshRun
from datasources.refresh import refresh_source
from datasources.storage import local_path, read_rows

from .conftest import make_source, serve_pages, time_entry

PATH = "/v2/time_entries"


def _refresh(source) -> RefreshRun:
    run = refresh_source(RefreshRun.objects.create(source=source).pk)
    assert run.status == RefreshRun.Status.SUCCEEDED, run.error
    source.refresh_from_db()
    return run


def _rows(source) -> dict[int, tuple]:
    names, rows = read_rows(source.current_version, limit=100)
    records = [dict(zip(names, row, strict=True)) for row in rows]
    return {r["id"]: (r["hours"], r["notes"]) for r in records}


def test_a_record_repeated_across_pages_is_kept_once_newest_first(
    owner, workspace, connection, harvest
):
    source = make_source(owner, workspace, connection, query_url=PATH, recipe="")
    older = time_entry(2, 1.0, updated_at="2026-12-01T08:00:00Z", notes="old")
    newer = time_entry(2, 3.0, updated_at="2026-12-01T09:00:00Z", notes="new")
    serve_pages(
        harvest,
        PATH,
        "time_entries",
        [[time_entry(1, 0.5), newer], [older, time_entry(3, 2.0)]],
    )

    _refresh(source)

    assert _rows(source) == {1: (0.5, "entry 1"), 2: (3.0, "new"), 3: (2.0, "entry 3")}
    assert Mirror.objects.get().row_count == 3


def test_an_incremental_answer_upserts_by_id_and_adds_new_columns(
    owner, workspace, connection, harvest
):
    source = make_source(owner, workspace, connection, query_url=PATH, recipe="")
    serve_pages(
        harvest, PATH, "time_entries", [[time_entry(1, 1.0), time_entry(2, 2.0)]]
    )
    _refresh(source)
    harvest.reset()
    changed = time_entry(2, 4.5, notes="changed", external_reference={"id": "X-9"})
    seen = serve_pages(harvest, PATH, "time_entries", [[changed, time_entry(3, 1.5)]])

    run = _refresh(source)

    # No running timer in the mirror: the changes are the only request.
    assert len(seen) == 1
    assert "updated_since=" in seen[0]
    assert run.requests == 1
    assert _rows(source) == {
        1: (1.0, "entry 1"),
        2: (4.5, "changed"),
        3: (1.5, "entry 3"),
    }
    names, _ = read_rows(source.current_version)
    assert "external_reference.id" in names
    assert local_path(source.current_version).exists()


def test_deleting_the_connection_deletes_the_mirror_file(
    owner, workspace, connection, harvest, django_capture_on_commit_callbacks
):
    source = make_source(owner, workspace, connection, query_url=PATH, recipe="")
    serve_pages(harvest, PATH, "time_entries", [[time_entry(1, 1.0)]])
    _refresh(source)
    mirror_file = Mirror.objects.get().file_name
    assert default_storage.exists(mirror_file)

    with django_capture_on_commit_callbacks(execute=True):
        connection.delete()

    assert Mirror.objects.count() == 0
    assert not default_storage.exists(mirror_file)


def test_the_source_page_says_which_mirror_it_reads(
    owner_client, owner, workspace, connection, harvest
):
    source = make_source(owner, workspace, connection)
    serve_pages(harvest, PATH, "time_entries", [[time_entry(1, 1.0), time_entry(2, 2)]])
    _refresh(source)

    page = owner_client.get(reverse("datasources:source_detail", args=[source.pk]))

    text = page.content.decode()
    assert "copy of Harvest's <code>time_entries</code>" in text
    assert "2 records" in text


def test_an_unchanged_answer_keeps_the_mirror_file_and_the_version(
    owner, workspace, connection, harvest
):
    source = make_source(owner, workspace, connection, query_url=PATH, recipe="")
    entries = [time_entry(1, 1.0), time_entry(2, 2.0, is_running=True)]
    serve_pages(harvest, PATH, "time_entries", [entries])
    _refresh(source)
    mirror_file = Mirror.objects.get().file_name
    version = source.current_version

    run = _refresh(source)

    # The running timer came back with the changes (the same answer is served
    # for every query here), so it was not asked for again.
    assert run.requests == 1
    assert Mirror.objects.get().file_name == mirror_file
    assert source.current_version == version
    assert run.version == version
    assert default_storage.exists(version.file_name)
    assert source.versions.count() == 1
