from django.urls import reverse

from klips.models import Dashboard, Klip
from tests.klips.helpers import make_dashboard, make_klip


def test_it_creates_a_first_dashboard_on_first_visit(owner_client, owner):
    response = owner_client.get(reverse("klips:dashboard_list"))

    assert response.status_code == 200
    assert list(
        Dashboard.objects.filter(owner=owner).values_list("name", flat=True)
    ) == ["My dashboard"]
    assert b"My dashboard" in response.content

    owner_client.get(reverse("klips:dashboard_list"))
    assert Dashboard.objects.filter(owner=owner).count() == 1


def test_a_teammate_joining_shared_dashboards_starts_from_those(
    client, owner, teammate, workspace
):
    make_dashboard(workspace, owner, name="Agency overview", shared=True)
    private = make_dashboard(workspace, owner, name="Owner's drafts")
    client.force_login(teammate)

    response = client.get(reverse("klips:dashboard_list"))

    assert response.status_code == 200
    assert not Dashboard.objects.filter(owner=teammate).exists()
    assert b"Agency overview" in response.content
    assert private.name.encode() not in response.content

    # Once nothing is shared with them any more, they get one to start from.
    Dashboard.objects.filter(name="Agency overview").delete()
    client.get(reverse("klips:dashboard_list"))
    assert list(
        Dashboard.objects.filter(owner=teammate).values_list("name", flat=True)
    ) == ["My dashboard"]


def test_it_creates_renames_and_deletes_a_dashboard(owner_client, owner):
    response = owner_client.post(reverse("klips:dashboard_create"), {"name": "Billing"})
    dashboard = Dashboard.objects.get(owner=owner, name="Billing")
    assert response.url == reverse("klips:dashboard_detail", args=[dashboard.pk])

    owner_client.post(
        reverse("klips:dashboard_rename", args=[dashboard.pk]),
        {"name": "Invoices", "shared_with_workspace": "on"},
    )
    dashboard.refresh_from_db()
    assert (dashboard.name, dashboard.shared_with_workspace) == ("Invoices", True)

    owner_client.post(reverse("klips:dashboard_delete", args=[dashboard.pk]))
    assert not Dashboard.objects.filter(pk=dashboard.pk).exists()


def test_it_saves_a_klip_from_the_editor_and_serves_its_bars(
    owner_client, workspace, owner, time_entries
):
    dashboard = make_dashboard(workspace, owner)
    editor = reverse("klips:klip_create") + f"?dashboard={dashboard.pk}"
    assert owner_client.get(editor).status_code == 200

    response = owner_client.post(
        editor,
        {
            "name": "Hours by project",
            "kind": "bar",
            "source": time_entries.pk,
            "group_by": "Project name",
            "agg": "sum",
            "measure_column": "Hours",
            "format_kind": "number",
            "bar_mode": "grouped",
            "orientation": "vertical",
        },
    )

    assert response.status_code == 302
    klip = Klip.objects.get(dashboard=dashboard)
    assert list(klip.sources.all()) == [time_entries]
    page = owner_client.get(reverse("klips:dashboard_detail", args=[dashboard.pk]))
    assert f'data-klip-id="{klip.pk}"'.encode() in page.content

    data = owner_client.get(reverse("klips:klip_data", args=[dashboard.pk, klip.pk]))
    payload = data.json()
    bars = payload["figure"]["data"][0]
    assert (bars["x"], bars["y"]) == (
        ["Apollo", "Borealis", "Cygnus"],
        [10.0, 7.0, 0.5],
    )
    assert payload["as_of"] == time_entries.current_version.created_at.isoformat()
    assert payload["stale"] is False


def test_it_shows_the_editor_errors_instead_of_saving(
    owner_client, workspace, owner, time_entries
):
    dashboard = make_dashboard(workspace, owner)
    editor = reverse("klips:klip_create") + f"?dashboard={dashboard.pk}"

    response = owner_client.post(
        editor,
        {
            "name": "Broken",
            "kind": "bar",
            "source": time_entries.pk,
            "group_by": "Spent date",
            "bucket": "week",
            "agg": "sum",
            "measure_column": "Project name",
            "format_kind": "number",
            "bar_mode": "grouped",
            "orientation": "vertical",
        },
    )

    assert response.status_code == 200
    assert (
        b"sum needs a number column; &#x27;Project name&#x27; is text"
        in response.content
    )
    assert not Klip.objects.exists()


def test_it_previews_the_editor_fields(owner_client, time_entries):
    response = owner_client.post(
        reverse("klips:klip_preview"),
        {
            "name": "Weekly",
            "kind": "line",
            "source": time_entries.pk,
            "group_by": "Spent date",
            "bucket": "week",
            "agg": "sum",
            "measure_column": "Hours",
            "filter_column_1": "Project name",
            "filter_op_1": "in",
            "filter_value_1": "Apollo, Cygnus",
            "format_kind": "hours",
            "bar_mode": "grouped",
            "orientation": "vertical",
        },
    )

    line = response.json()["figure"]["data"][0]
    assert (line["x"], line["y"]) == (["2026-11-30", "2026-12-07"], [4.0, 6.5])


def test_it_edits_a_klip_keeping_its_fields(
    owner_client, workspace, owner, time_entries
):
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, time_entries)
    url = reverse("klips:klip_edit", args=[dashboard.pk, klip.pk])

    form = owner_client.get(url).context["form"]
    assert form.initial["group_by"] == "Project name"
    assert form.initial["measure_label"] == "Hours"

    owner_client.post(
        url,
        {
            **{k: v for k, v in form.initial.items() if v not in (None, [])},
            "source": time_entries.pk,
            "kind": "pie",
            "top_n": 2,
        },
    )
    klip.refresh_from_db()
    assert (klip.kind, klip.spec["top_n"], klip.spec["measures"][0]["label"]) == (
        "pie",
        2,
        "Hours",
    )


def test_it_deletes_a_klip(owner_client, workspace, owner, time_entries):
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, time_entries)

    response = owner_client.post(
        reverse("klips:klip_delete", args=[dashboard.pk, klip.pk])
    )

    assert response.status_code == 302
    assert not Klip.objects.filter(pk=klip.pk).exists()


def test_it_saves_the_grid_layout(owner_client, workspace, owner, time_entries):
    dashboard = make_dashboard(workspace, owner)
    first = make_klip(dashboard, time_entries)
    second = make_klip(dashboard, time_entries, name="Second")
    url = reverse("klips:layout_save", args=[dashboard.pk])

    response = owner_client.post(
        url,
        [
            {"id": first.pk, "x": 6, "y": 0, "w": 6, "h": 3},
            {"id": second.pk, "x": 0, "y": 0, "w": 6, "h": 5},
        ],
        content_type="application/json",
    )

    assert response.json() == {"saved": 2}
    first.refresh_from_db()
    assert (first.x, first.y, first.w, first.h) == (6, 0, 6, 3)

    bad = owner_client.post(
        url,
        [{"id": first.pk, "x": 10, "y": 0, "w": 6, "h": 3}],
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "A Klip must fit the 12-column grid"


def test_it_marks_stale_data_and_empty_sources(
    owner_client, workspace, owner, time_entries
):
    from tests.klips.conftest import make_source

    time_entries.status = "stale"
    time_entries.save()
    never = make_source(
        workspace,
        owner,
        None,
        name="Never",
        columns=[
            {"name": "Project name", "path": "project.name", "type": "text"},
            {"name": "Hours", "path": "hours", "type": "hours"},
        ],
    )
    dashboard = make_dashboard(workspace, owner)
    stale_klip = make_klip(dashboard, time_entries)
    empty_klip = make_klip(dashboard, never)

    stale = owner_client.get(
        reverse("klips:klip_data", args=[dashboard.pk, stale_klip.pk])
    )
    empty = owner_client.get(
        reverse("klips:klip_data", args=[dashboard.pk, empty_klip.pk])
    )

    assert stale.json()["stale"] is True
    assert empty.status_code == 200
    assert (empty.json()["reason"], empty.json()["as_of"]) == ("never refreshed", None)
    assert empty.json()["empty"] == "No data yet: the source has never been refreshed."


def test_it_explains_a_klip_whose_column_is_gone(
    owner_client, workspace, owner, time_entries
):
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(
        dashboard,
        time_entries,
        group_by=[{"column": "Client"}],
        measures=[{"column": "Hours", "agg": "sum"}],
    )

    response = owner_client.get(
        reverse("klips:klip_data", args=[dashboard.pk, klip.pk])
    )

    assert response.status_code == 422
    assert "'Client'" in response.json()["error"]


def test_it_saves_a_klip_joining_two_sources(
    owner_client, workspace, owner, time_entries
):
    from tests.klips.conftest import make_source
    from tests.klips.test_query_join import PROJECTS

    projects = make_source(workspace, owner, PROJECTS, name="Projects")
    dashboard = make_dashboard(workspace, owner)
    editor = reverse("klips:klip_create") + f"?dashboard={dashboard.pk}"
    assert b"Projects: Id" in owner_client.get(editor).content

    owner_client.post(
        editor,
        {
            "name": "Hours by client",
            "kind": "bar",
            "source": time_entries.pk,
            "join_source": projects.pk,
            "join_left": "Project id",
            "join_right": "Projects: Id",
            "group_by": "Client name",
            "agg": "sum",
            "measure_column": "Hours",
            "format_kind": "number",
            "bar_mode": "grouped",
            "orientation": "vertical",
        },
    )

    klip = Klip.objects.get(dashboard=dashboard)
    assert set(klip.sources.all()) == {time_entries, projects}
    assert klip.spec["join"] == {"left": "Project id", "right": "Projects: Id"}
    assert (
        owner_client.get(reverse("klips:klip_edit", args=[dashboard.pk, klip.pk]))
        .context["form"]
        .initial["join_source"]
        == projects.pk
    )
    bars = owner_client.get(
        reverse("klips:klip_data", args=[dashboard.pk, klip.pk])
    ).json()["figure"]["data"][0]
    assert (bars["x"], bars["y"]) == (["Acme", "(none)"], [17.0, 0.5])


def test_it_previews_a_spec_posted_as_json(
    owner_client, workspace, teammate, time_entries
):
    from tests.klips.conftest import ENTRIES, make_source

    url = reverse("klips:klip_preview")
    spec = {
        "sources": [time_entries.pk],
        "group_by": [{"column": "Project name"}],
        "measures": [{"agg": "count"}],
    }

    response = owner_client.post(
        url, {"kind": "pie", "spec": spec}, content_type="application/json"
    )
    private = make_source(workspace, teammate, ENTRIES, name="Private")
    refused = owner_client.post(
        url,
        {"kind": "pie", "spec": {**spec, "sources": [private.pk]}},
        content_type="application/json",
    )
    bad_kind = owner_client.post(
        url, {"kind": "radar", "spec": spec}, content_type="application/json"
    )
    not_json = owner_client.post(url, "{", content_type="application/json")

    pie = response.json()["figure"]["data"][0]
    assert (pie["labels"], pie["values"]) == (
        ["Apollo", "Borealis", "Cygnus"],
        [3, 2, 1],
    )
    assert refused.status_code == 422
    assert refused.json()["error"] == "A data source is not available to you."
    assert bad_kind.json()["error"].startswith("kind must be one of table, bar")
    assert not_json.json()["error"] == "Expected JSON with kind and spec"


def test_it_renders_cards_for_the_grid_without_inline_scripts(
    owner_client, workspace, owner, time_entries
):
    import re

    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, time_entries)
    klip.x, klip.y, klip.w, klip.h = 3, 2, 5, 4
    klip.save()

    html = owner_client.get(
        reverse("klips:dashboard_detail", args=[dashboard.pk])
    ).content
    editor = owner_client.get(
        reverse("klips:klip_edit", args=[dashboard.pk, klip.pk])
    ).content

    text = html.decode()
    assert 'gs-x="3" gs-y="2" gs-w="5" gs-h="4"' in text
    data_url = reverse("klips:klip_data", args=[dashboard.pk, klip.pk])
    assert f'data-data-url="{data_url}"' in text
    for page in (text, editor.decode()):
        for tag in re.findall(r"<script[^>]*>", page):
            assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "/static/vendor/plotly/plotly-klips-4.1.1.min.js" in text
    assert "/static/vendor/gridstack/gridstack-all-14.1.0.js" in text


def test_it_keeps_formulas_when_a_klip_is_edited(
    owner_client, workspace, owner, time_entries
):
    dashboard = make_dashboard(workspace, owner)
    formula = {"label": "Per entry", "op": "ratio", "left": "Hours", "right": "Count"}
    klip = make_klip(
        dashboard,
        time_entries,
        kind="table",
        group_by=[{"column": "Project name"}],
        measures=[
            {"column": "Hours", "agg": "sum", "label": "Hours"},
            {"agg": "count"},
        ],
        formulas=[formula],
    )
    url = reverse("klips:klip_edit", args=[dashboard.pk, klip.pk])
    initial = owner_client.get(url).context["form"].initial

    owner_client.post(
        url,
        {
            **{k: v for k, v in initial.items() if v not in (None, [])},
            "name": "Renamed",
        },
    )

    klip.refresh_from_db()
    assert (klip.name, klip.spec["formulas"]) == (
        "Renamed",
        [{**formula, "format": None}],
    )
    rows = owner_client.get(reverse("klips:klip_data", args=[dashboard.pk, klip.pk]))
    assert rows.json()["table"]["rows"][1][3]["v"] == 3.5
