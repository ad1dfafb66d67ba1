"""Incremental mirrors of Harvest collections, shared by the sources built on them.

A mirror is one Parquet file per (connection, account, collection) holding the
collection's records flattened like a version, plus a Mirror row with the
watermark. A sync asks Harvest only for records updated since the watermark
minus an overlap, then for running timers, whose hours grow without a new
`updated_at`, but only when the mirror holds a running timer that this answer
did not bring: starting or stopping a timer is a write that moves its
`updated_at` (the sandbox's stop and restart do; for Harvest it is presumed, as
for every edit), so a timer started or stopped since the last sync is in the
answer already, and a mirror without running timers costs one request. The watermark is when the last good sync started, by our clock,
not the newest `updated_at` seen: Harvest stamps a batch alike (an invoice marks
all its entries), and an overlap behind the newest stamp would fetch that batch
again on every sync; behind our start it only covers clock skew and the
undocumented inclusiveness of `updated_since`.

DuckDB merges the answer into a new file (the old file anti-joined by id with
the delta, then the delta) streaming from disk to disk, so a million records
never sit in Python memory. The row then points at the new file; until that
moment the old file is the mirror, so a failure anywhere leaves it intact.
Harvest never reports deletions, so a new mirror, and one every
MIRROR_FULL_PASS_HOURS, is built from a full listing instead, which replaces the
file only when every page came.

A source's version is a DuckDB-filtered copy of the mirror: its Query URL's
parameters (from/to, is_active, client_id, ...) become a WHERE clause. A Query
URL with a parameter we cannot apply locally is fetched directly, as before.
Sources share the mirror: a run finding it synced after the run was queued
(say by another source due at the same tick) uses it without asking Harvest.
"""

import json
import logging
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from connectors.catalog import RowFilter
from connectors.harvest.client import HarvestClient
from connectors.harvest.errors import HarvestError
from datasources import relative_dates, storage
from datasources.modelling import ColumnType
from datasources.models import DataSource, DataVersion, Mirror, RefreshRun

logger = logging.getLogger(__name__)

# Harvest's `updated_since` boundary is uncertain and clocks drift: ask again
# for a few minutes before the last sync started.
OVERLAP = timedelta(minutes=5)
WAIT_POLL_SECONDS = 0.5
# DuckDB's buffer for mirror work: copies stream and spill beyond it, so a
# million-record mirror costs the worker this much, not the records' size.
MIRROR_MEMORY = "128MB"
# Deduplicating holds a whole answer; rare (ids repeat only when Harvest's list
# changed during a walk), so it may use more.
DEDUPLICATE_MEMORY = "512MB"


@dataclass(frozen=True)
class Param:
    """How one query parameter filters the mirror: `column op value`."""

    column: str
    op: str
    kind: str  # "date", "int", "bool" or "text"


@dataclass(frozen=True)
class Collection:
    params: dict[str, Param]
    has_running_timers: bool = False


def _dated(column: str) -> dict[str, Param]:
    return {"from": Param(column, ">=", "date"), "to": Param(column, "<=", "date")}


def _ids(*names: str) -> dict[str, Param]:
    return {f"{name}_id": Param(f"{name}.id", "=", "int") for name in names}


_ACTIVE = {"is_active": Param("is_active", "=", "bool")}
_BILLED = {"is_billed": Param("is_billed", "=", "bool")}

# Reference: https://help.getharvest.com/api-v2/ (each list's parameters).
COLLECTIONS: dict[str, Collection] = {
    "time_entries": Collection(
        {
            **_dated("spent_date"),
            **_ids("user", "client", "project", "task"),
            **_BILLED,
            "is_running": Param("is_running", "=", "bool"),
        },
        has_running_timers=True,
    ),
    "expenses": Collection(
        {**_dated("spent_date"), **_ids("user", "client", "project"), **_BILLED},
    ),
    "invoices": Collection(
        {
            **_dated("issue_date"),
            **_ids("client"),
            "state": Param("state", "=", "text"),
        },
    ),
    "estimates": Collection(
        {
            **_dated("issue_date"),
            **_ids("client"),
            "state": Param("state", "=", "text"),
        },
    ),
    "projects": Collection({**_ACTIVE, **_ids("client")}),
    "clients": Collection(_ACTIVE),
    "users": Collection(_ACTIVE),
    "tasks": Collection(_ACTIVE),
    "user_assignments": Collection(_ACTIVE),
    "task_assignments": Collection(_ACTIVE),
    "contacts": Collection(_ids("client")),
    "expense_categories": Collection(_ACTIVE),
}
# Parameters that change only how Harvest pages, not which records come back.
PAGING_PARAMS = {"per_page"}
_SQL_TYPES = {"date": "VARCHAR", "text": "VARCHAR", "int": "BIGINT", "bool": "BOOLEAN"}


class MirrorBusy(HarvestError):
    default_message = (
        "Another refresh kept this collection busy for too long; "
        "this one will try again later."
    )


@dataclass(frozen=True)
class MirrorQuery:
    """A Query URL as a collection and the conditions to apply to its mirror."""

    collection: str
    conditions: tuple[tuple[Param, object], ...] = ()


def _parsed(kind: str, raw: str) -> object | None:
    if kind == "date":
        try:
            return date.fromisoformat(raw).isoformat() if len(raw) == 10 else None
        except ValueError:
            return None
    if kind == "int":
        return int(raw) if raw.isdigit() else None
    if kind == "bool":
        return {"true": True, "false": False}.get(raw)
    return raw or None


def plan_for(url: str) -> MirrorQuery | None:
    """The mirror query answering a resolved Query URL, or None to fetch directly."""
    parts = urlsplit(url)
    name = parts.path.removeprefix("/v2/")
    collection = COLLECTIONS.get(name)
    if collection is None or not parts.path.startswith("/v2/"):
        return None

    conditions = []
    for key, raw in parse_qsl(parts.query, keep_blank_values=True):
        if key in PAGING_PARAMS:
            continue
        param = collection.params.get(key)
        value = _parsed(param.kind, raw) if param else None
        if value is None:
            # Harvest judges what we cannot (and says so if it is wrong).
            return None
        conditions.append((param, value))
    return MirrorQuery(name, tuple(conditions))


# Locking ------------------------------------------------------------------------


def lease() -> timedelta:
    return timedelta(seconds=settings.REFRESH_LEASE_SECONDS)


def _claim(mirror_id: int) -> bool:
    now = timezone.now()
    claimed = (
        Mirror.objects.filter(pk=mirror_id)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + lease())
    )
    return claimed == 1


def _renew(mirror_id: int) -> None:
    Mirror.objects.filter(pk=mirror_id).update(claimed_until=timezone.now() + lease())


@contextmanager
def _locked(mirror: Mirror, still_alive: Callable[[], None]):
    """Holds the mirror for one sync; waits while another source syncs it.

    `still_alive` renews the waiting source's own lease, so a long wait is not
    taken for a dead worker.
    """
    deadline = time.monotonic() + lease().total_seconds()
    while not _claim(mirror.pk):
        if time.monotonic() > deadline:
            raise MirrorBusy()
        still_alive()
        time.sleep(WAIT_POLL_SECONDS)
    try:
        mirror.refresh_from_db()
        yield mirror
    finally:
        Mirror.objects.filter(pk=mirror.pk).update(claimed_until=None)


# Syncing ----------------------------------------------------------------------


def full_pass_due(mirror: Mirror, now: datetime) -> bool:
    every = timedelta(hours=settings.MIRROR_FULL_PASS_HOURS)
    return (
        not mirror.file_name
        or mirror.last_full_at is None
        or mirror.watermark is None
        or now - mirror.last_full_at >= every
    )


def _harvest_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def changes_url(mirror: Mirror, full: bool) -> str:
    """What a sync asks Harvest for first: everything, or what changed."""
    path = f"/v2/{mirror.collection}"
    if full:
        return path
    since = _harvest_stamp(mirror.watermark - OVERLAP)
    return f"{path}?{urlencode({'updated_since': since})}"


def running_timers_url(mirror: Mirror) -> str:
    return f"/v2/{mirror.collection}?is_running=true"


def _running_ids(mirror: Mirror) -> set[int]:
    """Ids of the mirror's records whose timer was running when last fetched."""
    path = str(storage.local_file(mirror.file_name))
    connection = storage.duckdb_connection(MIRROR_MEMORY)
    try:
        if "is_running" not in _columns_of(
            connection, "read_parquet($old)", {"old": path}
        ):
            return set()
        rows = connection.execute(
            "SELECT id FROM read_parquet($old) WHERE TRY_CAST(is_running AS BOOLEAN)",
            {"old": path},
        ).fetchall()
    finally:
        connection.close()
    return {row[0] for row in rows}


@dataclass
class _Fetched:
    rows: int = 0
    pages: int = 0
    requests: int = 0
    running_timers_fetched: bool = False


def _fetch_into(
    spool: storage.SpoolWriter,
    client: HarvestClient,
    url: str,
    fetched: _Fetched,
    run: RefreshRun | None,
    on_page: Callable[[], None],
    mirror_id: int,
    not_in_answer: set[int] | None = None,
) -> None:
    """Spools every page of `url`; removes the ids that came from `not_in_answer`."""
    pages_before = fetched.pages
    for page in client.iter_pages(url):
        spool.write(page.records)
        if not_in_answer:
            not_in_answer.difference_update(r.get("id") for r in page.records)
        fetched.pages += 1
        fetched.requests += page.requests
        _renew(mirror_id)
        on_page()
        _record_progress(run, page, pages_before, spool.rows)
    fetched.rows = spool.rows


def _fetch_sync(
    spool: storage.SpoolWriter,
    client: HarvestClient,
    mirror: Mirror,
    full: bool,
    run: RefreshRun | None,
    on_page: Callable[[], None],
) -> _Fetched:
    """The changes (or everything), then running timers if the mirror holds one
    whose hours this answer did not bring up to date."""
    fetched = _Fetched()
    timers = not full and COLLECTIONS[mirror.collection].has_running_timers
    stale_timers = _running_ids(mirror) if timers else set()
    _fetch_into(
        spool,
        client,
        changes_url(mirror, full),
        fetched,
        run,
        on_page,
        mirror.pk,
        stale_timers,
    )
    if stale_timers:
        fetched.running_timers_fetched = True
        _fetch_into(
            spool,
            client,
            running_timers_url(mirror),
            fetched,
            run,
            on_page,
            mirror.pk,
        )
    return fetched


def _record_progress(run: RefreshRun | None, page, pages_before: int, rows: int):
    # While the mirror syncs, `rows` counts the collection's records fetched;
    # refresh_from_mirror sets the version's row count at the end.
    if run is None:
        return
    run.pages_done = pages_before + page.number
    run.pages_total = pages_before + (page.total_pages or page.number)
    run.requests += page.requests
    run.bytes += page.byte_size
    run.rows = rows
    run.save(update_fields=["pages_done", "pages_total", "requests", "bytes", "rows"])


def _delta_query(connection, params: dict, spool: storage.Spool, schema: dict) -> str:
    """The spool's records, one per id, the most recently updated winning.

    Paging over a changing list can repeat a record; when none repeats (almost
    always) the spool is read as is, which streams, where deduplicating a
    million records would hold them in DuckDB's memory.
    """
    records, spool_params = spool.select(schema)
    params.update(spool_params)
    # Only fixed text is formatted into these queries: column names go through
    # _quoted(), values are always parameters.
    # Counted in a session of its own: the distinct ids of a million records
    # (~30 MB) are freed before the copy that follows, not held under it.
    counting = storage.duckdb_connection(MIRROR_MEMORY)
    try:
        repeated = counting.execute(
            f"SELECT count(*) - count(DISTINCT id) FROM ({records})",  # noqa: S608
            spool_params,
        ).fetchone()[0]
    finally:
        counting.close()
    if not repeated:
        return records
    connection.execute(f"SET memory_limit = '{DEDUPLICATE_MEMORY}'")
    order = ' ORDER BY "updated_at" DESC' if "updated_at" in schema else ""
    return (
        f"SELECT * FROM ({records}) "  # noqa: S608
        f"QUALIFY row_number() OVER (PARTITION BY id{order}) = 1"
    )


def _columns_of(connection, relation: str, params: dict) -> set[str]:
    query = f"DESCRIBE SELECT * FROM {relation}"  # noqa: S608 (fixed relations)
    described = connection.execute(query, params)
    return {row[0] for row in described.fetchall()}


def _changes_anything(
    connection, delta: str, params: dict, delta_columns: set[str], old: set[str]
) -> bool:
    """Whether the delta holds a record the old mirror lacks or has otherwise.

    Running timers come back on every sync; when they (and the overlap) match
    what is stored, the million-record file is not rewritten.
    """
    if not delta_columns <= old:
        return True
    columns = ", ".join(_quoted(c) for c in sorted(delta_columns))
    differing = connection.execute(
        f"WITH delta AS ({delta}) SELECT count(*) FROM ("  # noqa: S608
        f"SELECT {columns} FROM delta EXCEPT SELECT {columns} "
        "FROM read_parquet($old) WHERE id IN (SELECT id FROM delta))",
        params,
    ).fetchone()[0]
    return differing > 0


def _write_mirror_file(
    spool: storage.Spool, mirror: Mirror, full: bool, target: Path
) -> int | None:
    """Writes the new mirror to `target`; returns its row count, or None when an
    incremental answer changed nothing.

    Rows keep Harvest's order without a sort (a sort of a million wide rows
    costs more than the whole walk): a full pass is stored as listed (newest
    first), a merge puts the changed records first, then the rest as they were.
    """
    schema = spool.schema([])
    params: dict = {}
    connection = storage.duckdb_connection(MIRROR_MEMORY)
    try:
        query = _delta_query(connection, params, spool, schema)
        if not full:
            params["old"] = str(storage.local_file(mirror.file_name))
            old_columns = _columns_of(
                connection, "read_parquet($old)", {"old": params["old"]}
            )
            if not _changes_anything(
                connection, query, params, set(schema), old_columns
            ):
                return None
            query = (
                f"WITH delta AS ({query}) SELECT * FROM delta "  # noqa: S608
                "UNION ALL BY NAME SELECT * FROM read_parquet($old) AS old "
                "WHERE NOT EXISTS (SELECT 1 FROM delta WHERE delta.id = old.id)"
            )
        # COPY answers with the number of rows it wrote.
        (row_count,) = connection.execute(
            f"COPY ({query}) TO $target ({storage.PARQUET_OPTIONS})",
            {**params, "target": str(target)},
        ).fetchone()
    finally:
        connection.close()
    return int(row_count)


def sync(
    mirror: Mirror,
    client: HarvestClient,
    run: RefreshRun | None = None,
    on_page: Callable[[], None] = lambda: None,
) -> Mirror:
    """Brings a locked mirror up to date with Harvest; all or nothing."""
    # TODO: MAX_SOURCE_ROWS (1,000,000 by default) also caps a mirror's spool, so
    # an account with more time entries than that fails its full pass with "too
    # large"; a per-collection cap (or spooling full passes per year) would lift it.
    started = timezone.now()
    full = full_pass_due(mirror, started)
    with tempfile.TemporaryDirectory(dir=storage.scratch_dir()) as folder:
        spool = storage.Spool(Path(folder) / "delta.ndjson")
        writer = storage.SpoolWriter(spool)
        try:
            fetched = _fetch_sync(writer, client, mirror, full, run, on_page)
        finally:
            writer.close()
        logger.info(
            "mirror fetched mirror=%s full=%s pages=%s rows=%s running_timers=%s",
            mirror.pk,
            full,
            fetched.pages,
            fetched.rows,
            fetched.running_timers_fetched,
        )

        new_file = ""
        row_count = None
        if full or fetched.rows:
            target = Path(folder) / "mirror.parquet"
            row_count = _write_mirror_file(spool, mirror, full, target)
        if row_count is not None:
            new_file = storage.store_file(target, f"mirrors/{mirror.pk}")

    _swap(mirror, new_file, row_count, fetched, started, full)
    return mirror


def _swap(
    mirror: Mirror,
    new_file: str,
    row_count: int | None,
    fetched: _Fetched,
    started: datetime,
    full: bool,
) -> None:
    old_file = mirror.file_name
    mirror.watermark = started
    mirror.synced_at = started
    mirror.last_sync_requests = fetched.requests
    if full:
        mirror.last_full_at = started
    if new_file:
        mirror.file_name = new_file
        mirror.row_count = row_count
        mirror.byte_size = storage.file_size(new_file)
    try:
        mirror.save()
    except Exception:
        if new_file:
            storage.delete_file(new_file)
        raise

    if new_file and old_file:
        storage.delete_file(old_file)
    logger.info(
        "mirror synced mirror=%s collection=%s account=%s full=%s pages=%s "
        "requests=%s fetched=%s rewritten=%s rows=%s",
        mirror.pk,
        mirror.collection,
        mirror.account_id,
        full,
        fetched.pages,
        fetched.requests,
        fetched.rows,
        bool(new_file),
        mirror.row_count,
    )


# TODO: a mirror whose last source was deleted stays (and its file) until its
# connection is deleted; drop mirrors no source has read for a few days in the
# ticker once sources can be deleted in bulk.
def mirror_for(connection_id: int, account_id: int, collection: str) -> Mirror:
    mirror, _created = Mirror.objects.get_or_create(
        connection_id=connection_id, account_id=account_id, collection=collection
    )
    return mirror


def mirror_of(source: DataSource, today: date) -> Mirror | None:
    """The mirror a source's refreshes read, if a mirror answers its Query URL."""
    query = plan_for(relative_dates.resolve(source.query_url, today))
    if query is None or source.connection_id is None:
        return None
    return Mirror.objects.filter(
        connection_id=source.connection_id,
        account_id=source.account_id,
        collection=query.collection,
    ).first()


def needs_sync(mirror: Mirror, wanted_since: datetime | None, now: datetime) -> bool:
    """False when a sync started after `wanted_since` (the run was queued) already
    brought the mirror as up to date as a fetch of our own would."""
    fresh = (
        wanted_since is not None
        and mirror.synced_at is not None
        and mirror.synced_at >= wanted_since
    )
    return not fresh or full_pass_due(mirror, now)


# Deriving a source's version ------------------------------------------------------


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _where(
    query: MirrorQuery,
    row_filters: tuple[RowFilter, ...],
    today: date,
    columns: set[str],
) -> tuple[str, dict]:
    clauses, params = [], {}
    wanted = [(p.column, p.op, p.kind, value) for p, value in query.conditions]
    wanted += [
        (
            f.path,
            "=" if f.op == "==" else f.op,
            "text",
            relative_dates.resolve(f.value, today),
        )
        for f in row_filters
    ]
    for number, (column, op, kind, value) in enumerate(wanted):
        if column not in columns:
            # No record ever had the field: nothing can match (as with Harvest).
            clauses.append("FALSE")
            continue
        params[f"p{number}"] = value
        clauses.append(
            f"TRY_CAST({_quoted(column)} AS {_SQL_TYPES[kind]}) {op} $p{number}"
        )
    return " AND ".join(clauses) or "TRUE", params


def _missing_columns(source: DataSource, columns: set[str]) -> str:
    """Modelled columns no mirrored record has, as typed NULLs, so Klips find them."""
    extra = []
    for column in source.columns or []:
        path = column.get("path")
        if path and path not in columns:
            kind = ColumnType(column.get("type", ColumnType.TEXT))
            sql_type = storage.COLUMN_STORAGE_TYPES.get(kind, "VARCHAR")
            extra.append(f", NULL::{sql_type} AS {_quoted(path)}")
            columns = columns | {path}
    return "".join(extra)


def derive_version(
    source: DataSource,
    mirror: Mirror,
    query: MirrorQuery,
    row_filters: tuple[RowFilter, ...],
    today: date,
) -> DataVersion:
    """The source's slice of the mirror, in the mirror's order.

    When neither the mirror file nor the slice changed since the current
    version was cut, that version is the answer: Klips keep their caches and
    an hourly refresh of an unchanged million-record account costs no copy.
    """
    mirror_path = str(storage.local_file(mirror.file_name))
    connection = storage.duckdb_connection(MIRROR_MEMORY)
    try:
        columns = _columns_of(
            connection, "read_parquet($mirror)", {"mirror": mirror_path}
        )
        where, params = _where(query, row_filters, today, columns)
        missing = _missing_columns(source, columns)
        select = (
            f"SELECT *{missing} "  # noqa: S608
            f"FROM read_parquet($mirror) WHERE {where}"
        )
        derived_from = json.dumps(
            {"mirror": mirror.file_name, "select": select, "params": params},
            sort_keys=True,
            default=str,
        )
        current = source.current_version
        if current is not None and current.derived_from == derived_from:
            return current
        if where == "TRUE" and not missing:
            # The whole mirror, no column added: its bytes are the version (a
            # file copy takes ~0.2 s at a million rows, re-encoding it ~5 s).
            file_name = storage.store_file(Path(mirror_path), f"datasets/{source.pk}")
            row_count = mirror.row_count
        else:
            file_name, row_count = _copy_slice(
                connection, select, {"mirror": mirror_path, **params}, source
            )
    finally:
        connection.close()
    version = storage.create_version(source, file_name, int(row_count))
    version.derived_from = derived_from
    version.save(update_fields=["derived_from"])
    return version


def _copy_slice(
    connection, select: str, params: dict, source: DataSource
) -> tuple[str, int]:
    """Writes the rows `select` picks as a new stored file: (file name, rows)."""
    with tempfile.TemporaryDirectory(dir=storage.scratch_dir()) as folder:
        target = Path(folder) / "version.parquet"
        # COPY answers with the number of rows it wrote.
        (row_count,) = connection.execute(
            f"COPY ({select}) TO $target ({storage.PARQUET_OPTIONS})",
            {**params, "target": str(target)},
        ).fetchone()
        return storage.store_file(target, f"datasets/{source.pk}"), int(row_count)


def refresh_from_mirror(
    source: DataSource,
    client: HarvestClient,
    query: MirrorQuery,
    run: RefreshRun | None,
    row_filters: tuple[RowFilter, ...],
    today: date,
    on_page: Callable[[], None] = lambda: None,
) -> DataVersion:
    """Syncs the source's collection mirror if needed, then derives its version."""
    mirror = mirror_for(source.connection_id, source.account_id, query.collection)
    with _locked(mirror, still_alive=on_page):
        wanted_since = run.queued_at if run is not None else None
        if needs_sync(mirror, wanted_since, timezone.now()):
            sync(mirror, client, run, on_page)
        else:
            logger.info(
                "mirror reused mirror=%s source=%s synced_at=%s",
                mirror.pk,
                source.pk,
                mirror.synced_at,
            )
        version = derive_version(source, mirror, query, row_filters, today)

    if run is not None:
        run.rows = version.row_count
        run.save(update_fields=["rows"])
    return version
