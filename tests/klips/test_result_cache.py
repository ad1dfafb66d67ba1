from datetime import date

import pytest

from klips import query
from klips.query import run_klip
from klips.spec import parse_spec
from tests.klips.conftest import ENTRIES, write_version


@pytest.fixture
def executions(monkeypatch):
    calls = []
    real_execute = query.execute

    def counting_execute(compiled, time_zone="UTC"):
        calls.append(compiled.sql)
        return real_execute(compiled, time_zone)

    monkeypatch.setattr(query, "execute", counting_execute)
    return calls


def _run(source, **extra):
    spec = parse_spec(
        {
            "sources": [source.pk],
            "group_by": [{"column": "Project name"}],
            "measures": [{"column": "Hours", "agg": "sum"}],
            **extra,
        }
    )
    return run_klip(spec, {source.pk: source}, today=date(2026, 12, 9))


def test_it_reuses_the_result_for_an_unchanged_version(time_entries, executions):
    first = _run(time_entries)
    second = _run(time_entries)

    assert len(executions) == 1
    assert (first.from_cache, second.from_cache) == (False, True)
    assert (
        second.rows
        == first.rows
        == [["Apollo", 10.0], ["Borealis", 7.0], ["Cygnus", 0.5]]
    )


def test_it_recomputes_after_a_refresh(time_entries, executions):
    _run(time_entries)
    write_version(time_entries, ENTRIES[:2])

    result = _run(time_entries)

    assert len(executions) == 2
    assert result.rows == [["Apollo", 4.0]]
    assert result.version_ids == [time_entries.current_version.pk]


def test_it_recomputes_when_the_spec_or_model_changes(time_entries, executions):
    _run(time_entries)
    _run(time_entries, filters=[{"column": "Hours", "op": "gt", "value": 1}])
    for column in time_entries.columns:
        if column["path"] == "hours":
            column["type"] = "integer"
    retyped = _run(time_entries)

    assert len(executions) == 3
    # As integers the hours round half to even: 2.5 -> 2, 1.5 -> 2, 0.5 -> 0.
    assert retyped.rows == [["Apollo", 10], ["Borealis", 7], ["Cygnus", 0]]


def test_a_dashboard_view_rebuilds_no_figure_until_the_data_changes(
    owner_client, workspace, owner, time_entries, executions, monkeypatch
):
    from django.urls import reverse

    from datasources.models import DataSource
    from klips import actions
    from tests.klips.helpers import make_dashboard, make_klip

    renders = []
    real_render = actions.render
    monkeypatch.setattr(
        actions, "render", lambda *args: renders.append(1) or real_render(*args)
    )
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, time_entries)
    url = reverse("klips:klip_data", args=[dashboard.pk, klip.pk])

    first = owner_client.get(url).json()
    second = owner_client.get(url).json()
    DataSource.objects.filter(pk=time_entries.pk).update(status=DataSource.Status.STALE)
    stale = owner_client.get(url).json()
    write_version(time_entries, ENTRIES[:2])
    refreshed = owner_client.get(url).json()

    assert (len(renders), len(executions)) == (3, 2)
    assert second == first
    assert (first["stale"], stale["stale"]) == (False, True)
    assert refreshed["figure"]["data"][0]["y"] == [4.0]
