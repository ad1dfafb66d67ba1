"""What the editor's pickers offer: visible columns, by type, from the recipe's
default model before a refresh brings rows; sources that can be told apart."""

import json

from django.urls import reverse

from connectors.models import Connection
from klips.forms import KlipForm, column_choices, editor_columns
from klips.models import Klip
from tests.klips.conftest import ENTRIES, make_source, write_version
from tests.klips.helpers import make_dashboard

COLUMNS = [
    {"name": "Project name", "path": "project.name", "type": "text"},
    {"name": "Spent date", "path": "spent_date", "type": "date"},
    {"name": "Hours", "path": "hours", "type": "hours"},
    {"name": "Cost rate", "path": "cost_rate", "type": "currency", "hidden": True},
]
LOOK = {"format_kind": "number", "bar_mode": "grouped", "orientation": "vertical"}


def _editor(client, dashboard):
    return client.get(reverse("klips:klip_create") + f"?dashboard={dashboard.pk}")


def _rules(response) -> dict:
    text = response.content.decode()
    start = text.index('id="klip-source-columns" type="application/json">') + 49
    return json.loads(text[start : text.index("</script>", start)])


def test_the_pickers_leave_hidden_columns_out_and_know_each_type(
    owner_client, workspace, owner
):
    source = make_source(workspace, owner, ENTRIES, columns=COLUMNS, name="Time")
    dashboard = make_dashboard(workspace, owner)

    response = _editor(owner_client, dashboard)
    rules = _rules(response)

    assert column_choices([source]) == [
        "Hours",
        "Project name",
        "Spent date",
        "Time: Hours",
        "Time: Project name",
        "Time: Spent date",
    ]
    assert column_choices([source], types=["date", "datetime"]) == [
        "Spent date",
        "Time: Spent date",
    ]
    assert rules["sources"][str(source.pk)] == {
        "name": "Time",
        "rows": 6,
        "columns": [
            {"name": "Project name", "type": "text"},
            {"name": "Spent date", "type": "date"},
            {"name": "Hours", "type": "hours"},
        ],
    }
    assert rules["number_aggregations"] == ["sum", "avg", "min", "max"]
    assert rules["number_types"] == ["integer", "decimal", "currency", "hours"]
    assert b"Cost rate" not in response.content


def test_a_hidden_column_posted_by_hand_is_refused_clearly(
    owner_client, workspace, owner
):
    source = make_source(workspace, owner, ENTRIES, columns=COLUMNS)
    # Another source shows a column of that name: the picker has it, the Klip's
    # own source hides it.
    make_source(
        workspace,
        owner,
        [{"cost_rate": 50.0}],
        name="Rates",
        columns=[{"name": "Cost rate", "path": "cost_rate", "type": "currency"}],
    )
    fields = {
        "name": "Rates",
        "kind": "bar",
        "source": source.pk,
        "group_by": "Project name",
        "agg": "sum",
        **LOOK,
    }

    alone = owner_client.post(
        reverse("klips:klip_preview"),
        {**fields, "measure_column": "Cost rate"},
    )
    nowhere = owner_client.post(
        reverse("klips:klip_preview"), {**fields, "measure_column": "Secret"}
    )
    bucket = owner_client.post(
        reverse("klips:klip_preview"),
        {**fields, "measure_column": "Hours", "bucket": "week"},
    )

    assert alone.json()["error"] == (
        "'Cost rate' is hidden in its source's model; show it there to use it in a "
        "Klip."
    )
    assert nowhere.json()["error"] == (
        "measure_column: Secret is not a column you can use: it is hidden in its "
        "source's model, or none of your sources has it."
    )
    assert bucket.json()["error"] == (
        "'Project name' is not a date, so it cannot be grouped by week"
    )


def test_a_source_whose_first_refresh_had_no_rows_offers_its_recipe_columns(
    owner_client, workspace, owner
):
    empty = make_source(workspace, owner, [], name="Time entries (this week)")
    empty.recipe = "time-entries-this-week"
    empty.save(update_fields=["recipe"])
    dashboard = make_dashboard(workspace, owner)
    fields = {
        "name": "Hours",
        "kind": "bar",
        "source": empty.pk,
        "group_by": "Project name",
        "agg": "sum",
        **LOOK,
    }

    rules = _rules(_editor(owner_client, dashboard))
    finished = owner_client.post(
        reverse("klips:klip_preview"), {**fields, "measure_column": "Hours"}
    )
    unfinished = owner_client.post(reverse("klips:klip_preview"), fields)
    saved = owner_client.post(
        reverse("klips:klip_create") + f"?dashboard={dashboard.pk}",
        {**fields, "measure_column": "Hours"},
    )

    assert empty.columns == []
    assert rules["sources"][str(empty.pk)]["rows"] == 0
    assert rules["sources"][str(empty.pk)]["columns"] == [
        {"name": "Spent date", "type": "date"},
        {"name": "User name", "type": "text"},
        {"name": "Client name", "type": "text"},
        {"name": "Project name", "type": "text"},
        {"name": "Task name", "type": "text"},
        {"name": "Hours", "type": "hours"},
        {"name": "Rounded hours", "type": "hours"},
        {"name": "Billable", "type": "boolean"},
        {"name": "Notes", "type": "text"},
        {"name": "User id", "type": "integer"},
        {"name": "Project id", "type": "integer"},
    ]
    assert finished.status_code == 200
    assert (finished.json()["reason"], finished.json()["empty"]) == (
        "no rows",
        "No rows yet: the source's last refresh returned none.",
    )
    assert unfinished.json() == {
        "error": "Measure 1 (sum) needs a column.",
        "empty": "No rows yet: the source's last refresh returned none.",
        "reason": "no rows",
    }
    assert saved.status_code == 302

    # Rows arrive: the Klip saved on the recipe's columns draws them.
    write_version(empty, ENTRIES)
    empty.columns = COLUMNS[:3]
    empty.save(update_fields=["columns"])
    klip = Klip.objects.get(dashboard=dashboard)
    bars = owner_client.get(
        reverse("klips:klip_data", args=[dashboard.pk, klip.pk])
    ).json()["figure"]["data"][0]
    assert (list(bars["x"]), list(bars["y"])) == (
        ["Apollo", "Borealis", "Cygnus"],
        [10.0, 7.0, 0.5],
    )


def test_same_named_sources_show_their_account_owner_and_id(workspace, owner, teammate):
    owner.first_name, owner.last_name = "Olga", "Owner"
    owner.save()
    connection = Connection.objects.create(
        workspace=workspace,
        owner=owner,
        name="Harvest",
        auth_kind=Connection.AuthKind.PERSONAL_TOKEN,
        accounts=[{"id": 1, "name": "Acme Ltd", "product": "harvest"}],
    )
    mine = make_source(workspace, owner, ENTRIES, name="Time entries (this month)")
    mine.connection = connection
    mine.save(update_fields=["connection"])
    theirs = make_source(
        workspace, teammate, ENTRIES, name="Time entries (this month)", shared=True
    )
    other = make_source(workspace, owner, ENTRIES, name="Projects")
    sources = type(mine).objects.filter(pk__in=[mine.pk, theirs.pk, other.pk])

    form = KlipForm(sources=sources.select_related("owner", "connection"))

    assert sorted(label for _, label in form.fields["source"].choices) == [
        "---------",
        "Projects",
        f"Time entries (this month) (Acme Ltd, Olga Owner, #{mine.pk})",
        f"Time entries (this month) (account 1, {teammate.email}, #{theirs.pk})",
    ]
    assert editor_columns([other])["sources"][str(other.pk)]["name"] == "Projects"
