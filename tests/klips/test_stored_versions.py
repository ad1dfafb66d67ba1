"""The engine against versions written by the refresh engine's own writer."""

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from datasources.modelling import flatten, infer_columns
from datasources.models import DataSource
from datasources.storage import write_version
from klips.query import run_klip
from klips.spec import parse_spec

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class FakePage:
    records: list[dict]
    number: int = 1
    total_pages: int | None = 2
    requests: int = 1
    byte_size: int = 0


def _recorded_entries() -> list[list[dict]]:
    return [
        json.loads((FIXTURES / f"time_entries_page{n}.json").read_text())[
            "time_entries"
        ]
        for n in (1, 2)
    ]


def test_it_reads_a_version_of_recorded_harvest_time_entries(workspace, owner):
    pages = _recorded_entries()
    records = [record for page in pages for record in page]
    source = DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        name="Time entries (this month)",
        account_id=1,
        query_url="/v2/time_entries",
        columns=[
            c.model_dump(mode="json")
            for c in infer_columns(flatten(r) for r in records)
        ],
    )
    version = write_version(
        source, [FakePage(page, n) for n, page in enumerate(pages, 1)]
    )
    source.current_version = version
    source.save()

    spec = parse_spec(
        {
            "sources": [source.pk],
            "group_by": [{"column": "Project name"}],
            "measures": [{"column": "Hours", "agg": "sum"}],
        }
    )
    result = run_klip(spec, {source.pk: source}, today=date(2025, 3, 5))

    expected: dict[str, float] = {}
    for record in records:
        name = record["project"]["name"]
        expected[name] = expected.get(name, 0) + record["hours"]
    assert result.rows == [
        [name, round(hours, 4)] for name, hours in sorted(expected.items())
    ]
