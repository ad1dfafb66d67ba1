import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from django.core.files.storage import default_storage

from connectors.harvest.errors import TooLarge
from datasources.models import RefreshRun
from datasources.storage import Spool, local_path, write_version

from .conftest import time_entry


@dataclass
class FakePage:
    records: list[dict]
    number: int
    total_pages: int | None = None
    total_entries: int | None = None
    resource_key: str | None = "time_entries"
    url: str = ""
    byte_size: int = 1000
    requests: int = 1


def _stored(version) -> list[dict]:
    connection = duckdb.connect()
    result = connection.execute(
        "SELECT * FROM read_parquet($p) ORDER BY id", {"p": str(local_path(version))}
    )
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def test_it_keeps_columns_null_at_first_and_ones_appearing_late(source):
    first = [time_entry(1, 1.5, invoice=None), time_entry(2, 2, invoice=None)]
    second = [
        time_entry(3, 0.25, invoice={"id": 90, "number": "2026-01"}, is_billed=True)
    ]
    pages = [FakePage(first, 1, 2), FakePage(second, 2, 2)]

    version = write_version(source, pages)

    rows = _stored(version)
    assert version.row_count == 3
    assert [r["invoice.id"] for r in rows] == [None, None, 90]
    assert [r["invoice.number"] for r in rows] == [None, None, "2026-01"]
    assert [r["is_billed"] for r in rows] == [None, None, True]
    # 2 (int) and 1.5 (float) widen to one DOUBLE column.
    assert [r["hours"] for r in rows] == [1.5, 2.0, 0.25]
    assert [r["project.name"] for r in rows] == ["Website"] * 3
    assert version.file_name.startswith(f"datasets/{source.pk}/")
    assert version.file_name.endswith(".parquet")
    assert version.byte_size == default_storage.size(version.file_name)


def test_it_records_progress_on_the_run(source):
    run = RefreshRun.objects.create(source=source)
    pages = [
        FakePage([time_entry(i, 1) for i in range(3)], 1, 2, byte_size=700),
        FakePage([time_entry(10, 1)], 2, 2, byte_size=300, requests=2),
    ]

    write_version(source, pages, run)

    run.refresh_from_db()
    assert (run.pages_done, run.pages_total, run.rows, run.bytes, run.requests) == (
        2,
        2,
        4,
        1000,
        3,
    )


def test_it_writes_an_empty_version_with_the_modelled_columns(source):
    source.columns = [
        {"name": "Hours", "path": "hours", "type": "hours"},
        {"name": "Notes", "path": "notes", "type": "text"},
    ]

    version = write_version(source, [FakePage([], 1, 1)])

    connection = duckdb.connect()
    described = connection.execute(
        "DESCRIBE SELECT * FROM read_parquet($p)", {"p": str(local_path(version))}
    ).fetchall()
    assert version.row_count == 0
    assert [(row[0], row[1]) for row in described] == [
        ("hours", "DOUBLE"),
        ("notes", "VARCHAR"),
    ]


def test_it_saves_nothing_when_a_page_fails(source, tmp_path):
    def pages():
        yield FakePage([time_entry(1, 1)], 1, 3)
        raise RuntimeError("page 2 failed")

    with pytest.raises(RuntimeError, match="page 2 failed"):
        write_version(source, pages())

    assert not Path(tmp_path / "media" / "datasets").exists()
    assert source.versions.count() == 0


def test_it_stores_2000_records_well_under_150_ms(source):
    records = [
        time_entry(
            2_400_000_000 + i,
            (i % 9) / 4,
            client={"id": i % 7, "name": f"Client {i % 7}"},
            task={"id": i % 5, "name": "Design"},
            is_running=False,
            billable_rate=None if i % 3 else 120.0,
            updated_at="2026-12-01T10:00:00Z",
        )
        for i in range(2000)
    ]
    write_version(source, [FakePage(records[:10], 1, 1)])  # warm imports

    # Best of three: the machine is shared, the code is what is measured.
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        version = write_version(source, [FakePage(records, 1, 1)])
        timings.append((time.perf_counter() - started) * 1000)
    elapsed_ms = min(timings)

    assert version.row_count == 2000
    print(f"stored 2000 records in {elapsed_ms:.1f} ms")
    assert elapsed_ms < 150, elapsed_ms


def test_a_failure_while_spooling_ends_the_write_with_that_error(source, settings):
    settings.MAX_SOURCE_ROWS = 3
    pages = [
        FakePage([time_entry(n * 2 + i, 1.0) for i in range(2)], n) for n in (1, 2, 3)
    ]

    with pytest.raises(TooLarge, match="more than 3 records"):
        write_version(source, pages)

    assert source.versions.count() == 0


def _typed_rows(version) -> tuple[list, list]:
    connection = duckdb.connect()
    result = connection.execute(
        "SELECT * FROM read_parquet($p) ORDER BY id", {"p": str(local_path(version))}
    )
    types = [(d[0], str(d[1])) for d in result.description]
    return types, result.fetchall()


def test_parts_written_on_the_way_read_back_like_one_spool(source, monkeypatch):
    pages = [
        FakePage([time_entry(1, 1, invoice=None, y=1), time_entry(2, 2, y=2)], 1),
        FakePage([time_entry(3, 2.5, y="a", invoice={"id": 9, "number": "N"})], 2),
        FakePage([time_entry(4, 3, late=True), time_entry(5, 0.5, nothing=None)], 3),
    ]
    whole = write_version(source, pages)
    monkeypatch.setattr(Spool, "PART_ROWS", 2)

    in_parts = write_version(source, pages)

    assert _typed_rows(in_parts) == _typed_rows(whole)
    types = dict(_typed_rows(in_parts)[0])
    assert (types["hours"], types["y"], types["late"]) == (
        "DOUBLE",
        "VARCHAR",
        "BOOLEAN",
    )
    assert types["invoice.id"] == "BIGINT"
    assert in_parts.row_count == 5


def test_it_copies_a_remotely_stored_file_into_the_local_cache_once(
    tmp_path, settings, monkeypatch
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from datasources.storage import local_file

    settings.DATASET_CACHE_DIR = tmp_path / "cache"
    name = default_storage.save("datasets/remote-test.parquet", ContentFile(b"PAR1"))

    class RemoteStorage:
        """Like S3: files can be opened, but have no local path."""

        def path(self, file_name):
            raise NotImplementedError("remote storage")

        def open(self, file_name, mode="rb"):
            return default_storage.open(file_name, mode)

    monkeypatch.setattr("datasources.storage.default_storage", RemoteStorage())

    first = local_file(name)
    second = local_file(name)

    assert first == second == tmp_path / "cache" / name
    assert first.read_bytes() == b"PAR1"
