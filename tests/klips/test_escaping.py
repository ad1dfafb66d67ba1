import json

from django.urls import reverse

from tests.klips.conftest import make_source
from tests.klips.helpers import make_dashboard, make_klip

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def _walk_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item)


def test_it_escapes_harvest_names_in_every_figure_text(owner_client, workspace, owner):
    source = make_source(
        workspace,
        owner,
        [
            {"project": {"name": SCRIPT}, "user": {"name": IMG}, "hours": 2.0},
            {"project": {"name": IMG}, "user": {"name": "Ada & Co"}, "hours": 1.0},
        ],
    )
    dashboard = make_dashboard(workspace, owner)
    kinds = ["bar", "line", "area", "pie", "scatter", "heatmap", "number", "gauge"]
    spec = {
        "group_by": [{"column": "Project name"}, {"column": "User name"}],
        "measures": [{"column": "Hours", "agg": "sum", "label": f"Hours {SCRIPT}"}],
        "target": 1,
        "target_label": IMG,
    }

    for kind in kinds:
        klip = make_klip(dashboard, source, kind=kind, name=SCRIPT, **spec)
        response = owner_client.get(
            reverse("klips:klip_data", args=[dashboard.pk, klip.pk])
        )
        figure = response.json()["figure"]
        texts = list(_walk_strings(figure))
        assert not [t for t in texts if "<script" in t or "<img" in t], kind

    bar = owner_client.get(
        reverse("klips:klip_data", args=[dashboard.pk, dashboard.klips.first().pk])
    ).json()["figure"]
    bars = {trace["name"]: trace["x"] for trace in bar["data"]}
    assert bars == {
        "Ada &amp; Co": ['"&gt;&lt;img src=x onerror=alert(1)&gt;'],
        '"&gt;&lt;img src=x onerror=alert(1)&gt;': [
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        ],
    }


def test_it_escapes_klip_and_dashboard_names_in_html(
    owner_client, workspace, owner, time_entries
):
    dashboard = make_dashboard(workspace, owner, name=IMG)
    make_klip(dashboard, time_entries, name=SCRIPT)

    page = owner_client.get(reverse("klips:dashboard_detail", args=[dashboard.pk]))
    listing = owner_client.get(reverse("klips:dashboard_list"))

    html = page.content.decode()
    assert SCRIPT not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in listing.content.decode()


def test_it_sends_tables_raw_for_text_content(owner_client, workspace, owner):
    source = make_source(
        workspace, owner, [{"project": {"name": SCRIPT}, "hours": 1.0}]
    )
    dashboard = make_dashboard(workspace, owner)
    klip = make_klip(dashboard, source, kind="table")

    response = owner_client.get(
        reverse("klips:klip_data", args=[dashboard.pk, klip.pk])
    )

    # klips.js builds table cells with textContent, which never parses HTML.
    assert response.json()["table"]["rows"][0][0] == {"v": SCRIPT, "t": SCRIPT}
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["klip_id"] == klip.pk
