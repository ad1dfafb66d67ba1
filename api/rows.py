"""A source's stored rows, page by page, under its modelled column names."""

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow.parquet as pq

from datasources.modelling import DUCKDB_TYPES, Column, parse_columns
from datasources.models import DataSource
from datasources.storage import local_path
from klips.query import json_value, quote

MAX_PAGE_SIZE = 1000


class RowsError(Exception):
    """The rows cannot be read; the message is safe to show."""


@dataclass
class RowsPage:
    columns: list[Column]
    rows: list[list[Any]]
    count: int


def read_page(source: DataSource, page: int, page_size: int) -> RowsPage:
    """Rows (page 1-based) of the current version, visible columns only."""
    columns = [c for c in parse_columns(source.columns) if not c.hidden]
    version = source.current_version
    if version is None or version.row_count == 0 or not columns:
        return RowsPage(columns, [], version.row_count if version else 0)

    try:
        path = local_path(version)
        file_paths = set(pq.read_schema(path).names)
    except (OSError, ValueError):
        raise RowsError("The stored data of this source cannot be read.") from None
    select = ", ".join(_projection(column, file_paths) for column in columns)
    connection = duckdb.connect(":memory:")
    try:
        raw = connection.execute(
            f"SELECT {select} FROM read_parquet(?) LIMIT ? OFFSET ?",  # noqa: S608
            [str(path), page_size, (page - 1) * page_size],
        ).fetchall()
    except duckdb.Error:
        raise RowsError("The stored data of this source cannot be read.") from None
    finally:
        connection.close()
    rows = [[json_value(value) for value in row] for row in raw]
    return RowsPage(columns, rows, version.row_count)


def _projection(column: Column, file_paths: set[str]) -> str:
    """Identifiers come from the validated column model only, quoted."""
    duck_type = DUCKDB_TYPES[column.type]
    if column.path not in file_paths:
        return f"CAST(NULL AS {duck_type}) AS {quote(column.name)}"
    return f"TRY_CAST({quote(column.path)} AS {duck_type}) AS {quote(column.name)}"
