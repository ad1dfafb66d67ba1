"""Where refreshed records live: one Parquet file per data version.

Files go through Django's default storage, so web and workers on different
machines can share them (a local folder by default, S3-compatible storage in
production). Query engines need a local path; versions never change once
written, so a local copy keyed by file name is always valid.
"""

import logging
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import duckdb
import orjson
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from connectors.harvest.errors import TooLarge
from datasources.modelling import ColumnType, flatten
from datasources.models import DataSource, DataVersion, RefreshRun

logger = logging.getLogger(__name__)


def local_path(version: DataVersion) -> Path:
    """A local file path holding the version's Parquet file."""
    return local_file(version.file_name)


def local_file(file_name: str) -> Path:
    """A local path of a stored file; stored files never change once written."""
    try:
        return Path(default_storage.path(file_name))
    except NotImplementedError:
        # Remote storage: copy it once into the local cache.
        return _cached_copy(file_name)


def _cached_copy(file_name: str) -> Path:
    cached = Path(settings.DATASET_CACHE_DIR) / file_name
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".part")
        with (
            default_storage.open(file_name, "rb") as remote,
            partial.open("wb") as local,
        ):
            shutil.copyfileobj(remote, local)
        partial.replace(cached)
        logger.info("dataset cached file=%s", file_name)
    return cached


def store_file(local: Path, folder: str) -> str:
    """Saves a finished local file under `folder` with a fresh name."""
    with local.open("rb") as handle:
        return default_storage.save(
            f"{folder}/{uuid.uuid4().hex}.parquet", File(handle)
        )


def delete_file(file_name: str) -> None:
    """Removes a stored file that nothing points at any more (and its cached copy)."""
    default_storage.delete(file_name)
    (Path(settings.DATASET_CACHE_DIR) / file_name).unlink(missing_ok=True)


def file_size(file_name: str) -> int:
    return default_storage.size(file_name)


def sweep_scratch(older_than: float) -> list[str]:
    """Removes scratch folders untouched for `older_than` seconds: left behind by
    a worker that was killed mid-refresh (a live one writes every page)."""
    removed = []
    cutoff = time.time() - older_than
    for folder in scratch_dir().glob("tmp*"):
        touched = [
            folder.stat().st_mtime,
            *(f.stat().st_mtime for f in folder.rglob("*")),
        ]
        if folder.is_dir() and max(touched) < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    if removed:
        logger.info("scratch swept folders=%s", len(removed))
    return removed


def scratch_dir() -> Path:
    scratch = Path(settings.DATA_DIR) / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    return scratch


# Storage work streams file to file: one thread is as fast on the two shared
# cores it runs on and holds half the buffers (measured sealing a 100,000-record
# part: +97 MB at 1 thread / 128 MB, +197 MB at 2 threads / 512 MB).
STORAGE_MEMORY = "128MB"
# Parquet row groups of this many rows: the writer buffers a whole group per
# column before compressing it, so 122,880 (DuckDB's default) wide rows cost
# ~70 MB more than 20,000, for no measurable difference in read speed here, and
# 10,000 another ~15 MB less than 20,000 (a 1M mirror's final copy: +81 MB
# against +97 MB at its peak).
ROW_GROUP_ROWS = 10_000
PARQUET_OPTIONS = f"FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS}"
# A spool part is sealed while the walk holds pages in memory, and read only
# once, by the final copy: smaller groups there (-8 MB per seal, measured).
PART_PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 5000"
SEAL_PART_SQL = (
    "COPY (SELECT * FROM read_json($path, format='newline_delimited', "  # noqa: S608
    f"columns=$columns)) TO $target ({PART_PARQUET_OPTIONS})"
)


def duckdb_connection(
    memory_limit: str = STORAGE_MEMORY,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB session with bounded memory that spills to the scratch folder."""
    return duckdb.connect(
        config={
            "memory_limit": memory_limit,
            "threads": 1,
            "temp_directory": str(scratch_dir() / "duckdb"),
        }
    )


# The Parquet type of each JSON value kind; mixed kinds widen (int + float is
# DOUBLE, anything + text is VARCHAR) so a later page never breaks the schema.
_KIND_TYPES = {bool: "BOOLEAN", int: "BIGINT", float: "DOUBLE", str: "VARCHAR"}

# The stored type for a modelled column that no record carried (e.g. an empty
# answer), so Klips still find every column they were built on.
COLUMN_STORAGE_TYPES = {
    ColumnType.INTEGER: "BIGINT",
    ColumnType.DECIMAL: "DOUBLE",
    ColumnType.CURRENCY: "DOUBLE",
    ColumnType.HOURS: "DOUBLE",
    ColumnType.BOOLEAN: "BOOLEAN",
}


def _widen(current: str | None, value) -> str | None:
    if value is None:
        return current
    kind = _KIND_TYPES.get(type(value), "VARCHAR")
    if current is None or current == kind:
        return kind
    if {current, kind} == {"BIGINT", "DOUBLE"}:
        return "DOUBLE"
    return "VARCHAR"


class Spool:
    """Flattened records on disk, with the union schema seen so far.

    Records go to NDJSON, and every PART_ROWS the part is turned into Parquet
    (on the spool's thread, while the next pages are fetched or wait for the
    rate limit), so the end of a million-record walk copies columnar parts
    instead of parsing a gigabyte of JSON.
    """

    # Sealing costs a fixed ~32 MB JSON buffer plus what the part holds, on top of
    # the pages in flight: 10,000-record parts keep a million-record walk under
    # 300 MB (290 MB peak, against 331 MB with 100,000-record parts).
    PART_ROWS = 10_000

    def __init__(self, path: Path) -> None:
        self.folder = path.parent
        self.stem = path.stem
        self.parts: list[Path] = []
        self.path = path
        self.file = path.open("wb")
        self.part_rows = 0
        self.types: dict[str, str | None] = {}
        # Record shapes (keys and value kinds) already folded into `types`:
        # most records of a page share a few shapes, so widening runs rarely.
        self.shapes: set[tuple] = set()
        self.rows = 0
        self.bytes = 0

    def write(self, records: list[dict]) -> None:
        self.append(records)
        self.seal_if_full()

    def append(self, records: list[dict]) -> None:
        """Flattens records into the current NDJSON part."""
        self.refuse_beyond_limits(len(records))
        lines = []
        for record in records:
            flat = flatten(record)
            shape = (tuple(flat), tuple(map(type, flat.values())))
            if shape not in self.shapes:
                self.shapes.add(shape)
                for key, value in flat.items():
                    self.types[key] = _widen(self.types.get(key), value)
            lines.append(orjson.dumps(flat, default=str))
        if lines:
            chunk = b"\n".join(lines) + b"\n"
            self.file.write(chunk)
            self.bytes += len(chunk)
        self.rows += len(records)
        self.part_rows += len(records)

    def seal_if_full(self) -> None:
        """Turns the current part into Parquet once it holds PART_ROWS records.
        Apart from append() so that a caller can let go of its page first: a
        seal is the walk's memory peak."""
        if self.part_rows >= self.PART_ROWS:
            self._seal_part()
            self.path = self.folder / f"{self.stem}-{len(self.parts)}.ndjson"
            self.file = self.path.open("wb")

    def refuse_beyond_limits(self, incoming: int, rows: int | None = None) -> None:
        """Ends a run that outgrows MAX_SOURCE_ROWS / MAX_SOURCE_BYTES (an endless
        listing, a huge custom query) before it fills the disk. `rows`: the rows
        written so far when the caller knows better than the spool (SpoolWriter)."""
        if (self.rows if rows is None else rows) + incoming > settings.MAX_SOURCE_ROWS:
            raise TooLarge(
                f"This source is too large: more than {settings.MAX_SOURCE_ROWS:,} "
                "records. Narrow its Query URL (a shorter date range or a filter)."
            )
        if self.bytes > settings.MAX_SOURCE_BYTES:
            limit_mb = settings.MAX_SOURCE_BYTES // (1024 * 1024)
            raise TooLarge(
                f"This source is too large: more than {limit_mb:,} MB of records. "
                "Narrow its Query URL (a shorter date range or a filter)."
            )

    def _seal_part(self) -> None:
        """The current NDJSON part as Parquet, typed as far as known so far;
        columns seen only as nulls are left out (the final select adds them)."""
        self.file.close()
        typed = {key: kind for key, kind in self.types.items() if kind is not None}
        target = self.folder / f"{self.stem}-{len(self.parts)}.parquet"
        connection = duckdb_connection()
        try:
            connection.execute(
                SEAL_PART_SQL,
                {
                    "path": str(self.path),
                    "columns": typed or {"id": "BIGINT"},
                    "target": str(target),
                },
            )
        finally:
            connection.close()
        self.path.unlink()
        self.parts.append(target)
        self.part_rows = 0

    def close(self) -> None:
        """Seals the last part; a spool that never reached PART_ROWS stays one
        NDJSON file, read in one step (most sources are a page or two)."""
        if self.file.closed:
            return
        if self.parts and self.part_rows:
            self._seal_part()
            return
        self.file.close()
        if self.parts:
            self.path.unlink()

    def select(self, schema: dict[str, str]) -> tuple[str, dict]:
        """SQL reading every part with the final `schema` (types widened across
        parts, missing columns as typed NULLs), and its parameters."""
        if not self.parts:
            query = (
                "SELECT * FROM read_json($path, format='newline_delimited', "
                "columns=$columns)"
            )
            return query, {"path": str(self.path), "columns": schema}

        connection = duckdb_connection()
        try:
            described = connection.execute(
                "DESCRIBE SELECT * FROM read_parquet($parts, union_by_name = true)",
                {"parts": [str(part) for part in self.parts]},
            ).fetchall()
        finally:
            connection.close()
        present = {row[0] for row in described}
        columns = ", ".join(
            f"CAST({_quoted(name)} AS {kind}) AS {_quoted(name)}"
            if name in present
            else f"NULL::{kind} AS {_quoted(name)}"
            for name, kind in schema.items()
        )
        # Column names come from _quoted(), types from our fixed set.
        query = (
            f"SELECT {columns} FROM "  # noqa: S608
            "read_parquet($parts, union_by_name = true)"
        )
        return query, {"parts": [str(part) for part in self.parts]}

    def schema(self, known_columns: list[dict]) -> dict[str, str]:
        schema = {key: kind or "VARCHAR" for key, kind in self.types.items()}
        for column in known_columns:
            path = column.get("path")
            if path and path not in schema:
                column_type = ColumnType(column.get("type", ColumnType.TEXT))
                schema[path] = COLUMN_STORAGE_TYPES.get(column_type, "VARCHAR")
        # Parquet cannot hold a table without columns; an empty answer on a
        # source never modelled yet still needs one.
        return schema or {"id": "BIGINT"}


class SpoolWriter:
    """Feeds a Spool from a thread of its own, so flattening one page overlaps
    fetching the next (the fetch mostly waits on the network or the limiter).

    Holds at most one page in the queue (flattening is ~3x faster than the
    limiter's pace, so a longer queue only holds more pages in memory); an
    error in the thread is raised by the next write() or by close().
    """

    # TODO: the two threads share one GIL: the fetching thread's orjson parse
    # (~45% of its busy time, py-spy) and this thread's flattening (~half of its)
    # cannot run at once, so a page costs 65-125 ms of the shared two cores and
    # a 1M refresh measured 1.03-1.14 x its bound over six runs (load 0.6-5),
    # meeting <= 1.053 only when the machine is quiet. Handing DuckDB the raw
    # answer bytes (read_json over the page, nested objects flattened in SQL)
    # would take both off the GIL; it changes how columns are named and typed,
    # so it needs the storage tests' exact-type cases first.
    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self.rows = 0
        self.error: Exception | None = None
        self.pages: queue.Queue[list[dict] | None] = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._drain, name="spool", daemon=True)
        self.thread.start()

    def write(self, records: list[dict]) -> None:
        if self.error is not None:
            raise self.error
        # The row cap is judged here, in order, not a page or two late in the thread.
        self.spool.refuse_beyond_limits(len(records), rows=self.rows)
        self.pages.put(records)
        self.rows += len(records)

    def close(self) -> None:
        self.pages.put(None)
        self.thread.join()
        self.spool.close()
        if self.error is not None:
            raise self.error

    def _drain(self) -> None:
        while (records := self.pages.get()) is not None:
            if self.error is not None:
                continue  # keep taking pages so write() never blocks for ever
            try:
                self.spool.append(records)
                # The page (~10 MB of objects) is not held through the seal.
                records = None
                self.spool.seal_if_full()
            except Exception as error:  # handed to the fetching thread
                self.error = error


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def spool_to_parquet(spool: Spool, schema: dict[str, str], target: Path) -> None:
    query, params = spool.select(schema)
    connection = duckdb_connection()
    try:
        connection.execute(
            f"COPY ({query}) TO $target ({PARQUET_OPTIONS})",
            {**params, "target": str(target)},
        )
    finally:
        connection.close()


def record_progress(run: RefreshRun | None, page, rows: int) -> None:
    if run is None:
        return
    run.pages_done = page.number
    run.pages_total = page.total_pages
    run.requests += page.requests
    run.bytes += page.byte_size
    run.rows = rows
    run.save(update_fields=["pages_done", "pages_total", "requests", "bytes", "rows"])


def write_version(
    source: DataSource, pages: Iterable, run: RefreshRun | None = None
) -> DataVersion:
    """Stream pages into a new Parquet version; nothing is saved unless all arrive.

    Records go to a spool on disk page by page (memory stays bounded by one
    page), then DuckDB copies it with the union schema of every page, so a
    column that is null at first or appears late keeps its values.
    """
    with tempfile.TemporaryDirectory(dir=scratch_dir()) as folder:
        spool = Spool(Path(folder) / "records.ndjson")
        writer = SpoolWriter(spool)
        try:
            for page in pages:
                writer.write(page.records)
                record_progress(run, page, writer.rows)
        finally:
            writer.close()

        parquet = Path(folder) / "version.parquet"
        spool_to_parquet(spool, spool.schema(source.columns or []), parquet)
        file_name = store_file(parquet, f"datasets/{source.pk}")

    return create_version(source, file_name, spool.rows)


def create_version(source: DataSource, file_name: str, row_count: int) -> DataVersion:
    version = DataVersion.objects.create(
        source=source,
        file_name=file_name,
        row_count=row_count,
        byte_size=default_storage.size(file_name),
    )
    logger.info(
        "version written source=%s version=%s rows=%s bytes=%s",
        source.pk,
        version.pk,
        version.row_count,
        version.byte_size,
    )
    return version


def delete_version_file(version: DataVersion) -> None:
    """Remove a superseded version's file (and its local cached copy)."""
    delete_file(version.file_name)


def read_rows(version: DataVersion, limit: int = 50) -> tuple[list[str], list[tuple]]:
    """The first rows of a stored version, for previews: (column names, rows)."""
    # Bounded like all storage work: an unbounded session reads row groups of a
    # million-record file on every core (+25 MB at the end of a 1M refresh).
    connection = duckdb_connection()
    try:
        result = connection.execute(
            "SELECT * FROM read_parquet($path) LIMIT $limit",
            {"path": str(local_path(version)), "limit": limit},
        )
        names = [d[0] for d in result.description]
        return names, result.fetchall()
    finally:
        connection.close()
