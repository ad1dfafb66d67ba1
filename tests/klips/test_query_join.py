from datetime import date

import pytest

from klips.query import NEVER_REFRESHED, run_klip
from klips.spec import SpecError, parse_spec
from tests.klips.conftest import ENTRIES, make_source

PROJECTS = [
    {"id": sum(map(ord, "Apollo")), "name": "Apollo", "client": {"name": "Acme"}},
    {"id": sum(map(ord, "Borealis")), "name": "Borealis", "client": {"name": "Acme"}},
    {"id": 1, "name": "Unused", "client": {"name": "Nobody"}},
]


@pytest.fixture
def projects(workspace, owner):
    return make_source(workspace, owner, PROJECTS, name="Projects")


def run(time_entries, projects, **spec):
    parsed = parse_spec(
        {
            "sources": [time_entries.pk, projects.pk],
            "join": {"left": "Project id", "right": "Projects: Id"},
            **spec,
        }
    )
    sources = {time_entries.pk: time_entries, projects.pk: projects}
    return run_klip(parsed, sources, today=date(2026, 12, 9))


def test_it_joins_entries_with_their_projects_client(time_entries, projects):
    result = run(
        time_entries,
        projects,
        group_by=[{"column": "Client name"}],
        measures=[{"column": "Hours", "agg": "sum"}],
    )

    # Cygnus has no project row: a left join keeps its hours under no client.
    assert result.rows == [["Acme", 17.0], [None, 0.5]]
    assert len(result.version_ids) == 2


def test_it_names_a_clashing_joined_column_after_its_source(time_entries, projects):
    result = run(
        time_entries,
        projects,
        columns=["Project name", "Projects: Id", "Name"],
        sort=[{"by": "Project name", "direction": "asc"}],
        limit=1,
    )

    assert result.rows == [["Apollo", sum(map(ord, "Apollo")), "Apollo"]]


def test_it_names_a_missing_join_column(time_entries, projects):
    with pytest.raises(SpecError, match="'Client' is not a column of 'Projects'"):
        run_klip(
            parse_spec(
                {
                    "sources": [time_entries.pk, projects.pk],
                    "join": {"left": "Project id", "right": "Client"},
                    "measures": [{"agg": "count"}],
                }
            ),
            {time_entries.pk: time_entries, projects.pk: projects},
        )


def test_it_waits_for_both_sources(time_entries, workspace, owner):
    never = make_source(
        workspace,
        owner,
        None,
        name="Projects",
        columns=[{"name": "Id", "path": "id", "type": "integer"}],
    )

    result = run(time_entries, never, measures=[{"agg": "count"}])

    assert (result.rows, result.reason) == ([], NEVER_REFRESHED)


def test_it_joins_an_empty_source_as_no_matches(time_entries, workspace, owner):
    empty = make_source(
        workspace,
        owner,
        [],
        name="Projects",
        columns=[
            {"name": "Id", "path": "id", "type": "integer"},
            {"name": "Client name", "path": "client.name", "type": "text"},
        ],
    )

    result = run(
        time_entries,
        empty,
        group_by=[{"column": "Client name"}],
        measures=[{"agg": "count"}],
    )

    assert result.rows == [[None, len(ENTRIES)]]


def test_it_needs_a_join_for_two_sources():
    with pytest.raises(SpecError, match="Two sources need a join"):
        parse_spec({"sources": [1, 2], "measures": [{"agg": "count"}]})
