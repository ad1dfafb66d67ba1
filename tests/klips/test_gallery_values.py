"""Gallery Klips on fixture data: the numbers they show are the right ones."""

from datetime import date

import pytest

from connectors.catalog import get_recipe
from datasources.modelling import default_columns
from klips import gallery
from klips.query import run_klip
from klips.render import render
from tests.klips.conftest import make_source

HOURS_PER_WEEK_35 = 35 * 3600
THIS_WEEK = date(2026, 12, 2)


def _person(user_id: int, first: str, capacity_seconds: int) -> dict:
    return {
        "id": user_id,
        "first_name": first,
        "last_name": "Tester",
        "email": f"{first.lower()}@example.com",
        "weekly_capacity": capacity_seconds,
    }


def _booked(user_id: int, hours: float, day: str) -> dict:
    return {
        "id": user_id * 100 + int(hours * 10),
        "spent_date": day,
        "hours": hours,
        "user": {"id": user_id, "name": f"User {user_id}"},
        "project": {"id": 7, "name": "Apollo"},
    }


@pytest.fixture
def team(workspace, owner):
    people = make_source(
        workspace,
        owner,
        [
            _person(1, "Ada", HOURS_PER_WEEK_35),
            _person(2, "Grace", 40 * 3600),
            _person(3, "Linus", 20 * 3600),
        ],
        name="People with weekly capacity",
    )
    entries = make_source(
        workspace,
        owner,
        [
            _booked(1, 8.0, "2026-11-30"),
            _booked(1, 8.0, "2026-12-01"),
            _booked(1, 6.5, "2026-12-02"),
            _booked(1, 5.5, "2026-12-03"),
            _booked(2, 44.0, "2026-12-01"),
        ],
        name="Time entries (this week)",
    )
    return people, entries


def _result(slug: str, people, entries):
    item = gallery.get_klip(slug)
    spec = item.spec_for([people.pk, entries.pk])
    result = run_klip(spec, {people.pk: people, entries.pk: entries}, today=THIS_WEEK)
    return item, spec, result


def test_it_puts_35_hours_capacity_and_28_logged_at_80_percent(team):
    _, _, result = _result("team-utilisation", *team)

    assert [c.name for c in result.columns] == [
        "First name",
        "Last name",
        "Hours",
        "Capacity (h)",
        "Utilisation",
    ]
    assert result.rows == [
        ["Grace", "Tester", 44.0, 40.0, 110.0],
        ["Ada", "Tester", 28.0, 35.0, 80.0],
        ["Linus", "Tester", None, 20.0, None],
    ]


def test_it_charts_only_the_utilisation_with_threshold_colours(team):
    item, spec, result = _result("utilisation-chart", *team)

    bars = render(item.kind, spec, result)["figure"]["data"]

    assert len(bars) == 1
    assert bars[0]["name"] == "Utilisation"
    assert list(bars[0]["x"]) == [
        "ada@example.com",
        "grace@example.com",
        "linus@example.com",
    ]
    assert list(bars[0]["y"]) == [80.0, 110.0, None]
    assert list(bars[0]["marker"]["color"]) == [
        gallery.AMBER,
        gallery.RED,
        "#f36c00",
    ]


def test_it_lists_people_without_time_this_week(team):
    _, _, result = _result("missing-timesheets", *team)

    assert result.rows == [["Linus", "Tester", "linus@example.com"]]


def test_every_gallery_klip_names_catalog_recipes_and_parses():
    for item in gallery.KLIPS:
        assert 1 <= len(item.recipes) <= 2, item.slug
        for slug in item.recipes:
            assert get_recipe("harvest", slug) is not None, (item.slug, slug)
        spec = item.spec_for(list(range(1, len(item.recipes) + 1)))
        assert spec.sources == list(range(1, len(item.recipes) + 1))

    assert len(gallery.KLIPS) >= 15
    assert len({item.slug for item in gallery.KLIPS}) == len(gallery.KLIPS)
    assert [d.slug for d in gallery.DASHBOARDS] == [
        "agency-overview",
        "project-budgets",
        "invoicing",
        "team",
    ]
    for dashboard in gallery.DASHBOARDS:
        assert all(gallery.get_klip(slug) for slug in dashboard.klips), dashboard


def test_everyone_misses_a_timesheet_before_the_week_has_any_time(
    workspace, owner, team
):
    people, _ = team
    empty_week = make_source(workspace, owner, [], name="Time entries (this week)")

    _, _, missing = _result("missing-timesheets", people, empty_week)
    _, _, utilisation = _result("team-utilisation", people, empty_week)

    assert empty_week.columns == []
    assert [row[0] for row in missing.rows] == ["Ada", "Grace", "Linus"]
    assert sorted((row[0], *row[2:]) for row in utilisation.rows) == [
        ("Ada", None, 35.0, None),
        ("Grace", None, 40.0, None),
        ("Linus", None, 20.0, None),
    ]


def test_editing_a_gallery_klip_keeps_its_scale_labels_and_formula(
    owner_client, workspace, owner, team
):
    from django.urls import reverse

    from klips.forms import initial_from_klip
    from klips.models import Klip
    from tests.klips.helpers import make_dashboard

    people, entries = team
    item = gallery.get_klip("utilisation-chart")
    dashboard = make_dashboard(workspace, owner)
    klip = Klip.objects.create(
        dashboard=dashboard,
        name=item.name,
        kind=item.kind,
        spec=item.spec_for([people.pk, entries.pk]).model_dump(mode="json"),
    )
    fields = {
        key: value
        for key, value in initial_from_klip(klip).items()
        if value not in (None, "", [], False)
    }

    response = owner_client.post(
        reverse("klips:klip_edit", args=[dashboard.pk, klip.pk]),
        {**fields, "name": "Load"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    klip.refresh_from_db()
    assert klip.name == "Load"
    assert klip.spec["measures"][1]["label"] == "Capacity (h)"
    assert klip.spec["measures"][1]["scale"] == 1 / 3600
    assert klip.spec["display"]["hidden"] == ["Hours", "Capacity (h)"]
    assert klip.spec["formulas"] == [
        {**formula, "format": None} for formula in item.spec["formulas"]
    ]


def test_billable_hours_read_yes_and_no(workspace, owner):
    entries = make_source(
        workspace,
        owner,
        [
            _booked(1, 6.0, "2026-12-01") | {"billable": True},
            _booked(2, 2.0, "2026-12-01") | {"billable": False},
        ],
    )
    item = gallery.get_klip("billable-vs-non-billable")
    spec = item.spec_for([entries.pk])

    pie = render(item.kind, spec, run_klip(spec, {entries.pk: entries}))

    trace = pie["figure"]["data"][0]
    assert (list(trace["labels"]), list(trace["values"])) == (["No", "Yes"], [2.0, 6.0])


@pytest.mark.parametrize("item", gallery.KLIPS, ids=[k.slug for k in gallery.KLIPS])
def test_every_gallery_klip_reads_only_its_recipes_first_columns(item):
    """Before a first refresh with rows a source offers its recipe's default
    columns, so a gallery Klip can be edited from the start only if they hold
    every column it reads, join keys included."""
    per_recipe = [
        {
            column.name
            for column in default_columns(get_recipe("harvest", slug).default_columns)
        }
        for slug in item.recipes
    ]
    spec = item.spec_for(list(range(1, len(item.recipes) + 1)))

    missing = set(spec.referenced_columns()) - set().union(*per_recipe)
    if spec.join:
        missing |= {spec.join.left} - per_recipe[0]
        missing |= {spec.join.right} - per_recipe[1]

    assert not missing, f"{item.slug} reads {sorted(missing)}"
