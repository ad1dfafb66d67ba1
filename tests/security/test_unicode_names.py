"""Names with emoji, right-to-left text, combining marks and 255 characters are
stored and shown exactly, on SQLite and PostgreSQL alike, never a 500.

NUL rule: PostgreSQL text cannot hold U+0000. A NUL typed into a form is refused
with Django's "Null characters are not allowed."; a NUL inside a Harvest string
is removed when the Harvest client reads the answer (no Harvest name needs one).
"""

import pytest
from django.urls import reverse
from django.utils.html import escape

from connectors.models import Connection
from datasources.models import DataSource, RefreshRun
from datasources.refresh import refresh_source
from klips.models import Dashboard, Klip
from sandbox.server import run_in_thread

from ..reliability.conftest import SANDBOX_TODAY

NAMES = [
    "Café ☕ équipe 🚀 👩🏽‍💻 Ops",
    "مشروع العميل الجديد",
    "פרויקט \u202eevil\u202c שלום",
    "e\u0301te\u0301 Z\u0336a\u0338l\u0335g\u0334o",
    "ß" * 255,
    "😀" * 255,
]
NUL_TYPED = "Before\x00after"
REFUSED_NUL = "Null characters are not allowed."


@pytest.fixture
def unicode_sandbox(settings):
    with run_in_thread(
        seed=42,
        entries=300,
        today=SANDBOX_TODAY,
        general_limit=5000,
        reports_limit=5000,
        hostile_names=[*NAMES[:4], "Nul\x00inside", "tab\tand \x00\x00 two"],
    ) as running:
        settings.HARVEST_API_BASE = running.api_base
        settings.HARVEST_ID_BASE = running.id_base
        yield running


def _shown(response, name: str) -> bool:
    return escape(name) in response.content.decode()


def test_typed_names_are_stored_and_shown_exactly(owner_client, owner, workspace):
    connection = Connection.objects.create(
        workspace=workspace, owner=owner, name="c", auth_kind="pat", access_token="t"
    )
    dashboard = Dashboard.objects.create(workspace=workspace, owner=owner, name="d")

    for name in NAMES:
        renamed = owner_client.post(
            reverse("connectors:connection_rename", args=[connection.pk]),
            {"name": name},
        )
        created = owner_client.post(reverse("klips:dashboard_create"), {"name": name})
        retitled = owner_client.post(
            reverse("klips:dashboard_rename", args=[dashboard.pk]), {"name": name}
        )

        assert (renamed.status_code, created.status_code, retitled.status_code) == (
            302,
            302,
            302,
        )
        connection.refresh_from_db()
        dashboard.refresh_from_db()
        assert connection.name == name
        assert dashboard.name == name
        assert Dashboard.objects.filter(name=name).count() == 2
        assert _shown(owner_client.get(reverse("connectors:connection_list")), name)
        page = owner_client.get(reverse("klips:dashboard_detail", args=[dashboard.pk]))
        assert page.status_code == 200
        assert _shown(page, name)


def test_a_typed_nul_is_refused_with_a_clear_message(owner_client, owner, workspace):
    connection = Connection.objects.create(
        workspace=workspace, owner=owner, name="kept", auth_kind="pat", access_token="t"
    )

    renamed = owner_client.post(
        reverse("connectors:connection_rename", args=[connection.pk]),
        {"name": NUL_TYPED},
        follow=True,
    )
    created = owner_client.post(reverse("klips:dashboard_create"), {"name": NUL_TYPED})

    assert renamed.status_code == 200
    assert created.status_code == 200
    assert REFUSED_NUL in created.content.decode()
    connection.refresh_from_db()
    assert connection.name == "kept"
    assert not Dashboard.objects.filter(name__contains="Before").exists()


def test_harvest_names_are_kept_exactly_and_nul_is_removed(
    owner_client, owner, workspace, unicode_sandbox
):
    connected = owner_client.post(
        reverse("connectors:connect_pat"), {"token": "sandbox-demo-pat"}
    )
    assert connected.status_code == 302
    connection = Connection.objects.get(owner=owner)
    source = DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        connection=connection,
        name=NAMES[0],
        account_id=4411001,
        query_url="/v2/reports/time/projects?from=20260101&to=20261120",
    )
    run = RefreshRun.objects.create(source=source, trigger="manual")
    refresh_source(run.pk)
    source.refresh_from_db()
    assert source.current_version is not None, source.last_error
    dashboard = Dashboard.objects.create(workspace=workspace, owner=owner, name="d")
    klip = Klip.objects.create(
        dashboard=dashboard,
        name="Projects",
        kind="table",
        spec={"sources": [source.pk], "columns": ["Project name"]},
    )
    klip.sources.set([source])

    answer = owner_client.get(reverse("klips:klip_data", args=[dashboard.pk, klip.pk]))
    data = " | ".join(_strings(answer.json()))
    names = set(unicode_sandbox.app.hostile_names._given.values())

    assert "\x00" not in connection.name
    for account in connection.accounts:
        assert "\x00" not in account["name"]
    for name in NAMES[:4]:
        assert name in names
        assert escape(name) in data
    assert "Nulinside" in data
    assert "tab\tand  two" in data
    assert "\x00" not in data
    assert _shown(
        owner_client.get(reverse("datasources:source_detail", args=[source.pk])),
        NAMES[0],
    )


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _source_edit_form(source: DataSource, name: str, column_label: str) -> dict:
    data = {
        "name": name,
        "schedule": "60",
        "columns-TOTAL_FORMS": str(len(source.columns)),
        "columns-INITIAL_FORMS": str(len(source.columns)),
        "columns-MIN_NUM_FORMS": "0",
        "columns-MAX_NUM_FORMS": "1000",
    }
    for index, column in enumerate(source.columns):
        data.update(
            {
                f"columns-{index}-path": column["path"],
                f"columns-{index}-name": column_label if index == 0 else column["name"],
                f"columns-{index}-type": column["type"],
                f"columns-{index}-order": str(index),
            }
        )
    return data


def test_typed_source_column_and_klip_names_are_kept_exactly(
    owner_client, owner, workspace
):
    source = DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        name="s",
        account_id=4411001,
        query_url="/v2/company",
        columns=[
            {"name": "Name", "path": "name", "type": "text"},
            {"name": "Id", "path": "id", "type": "integer"},
        ],
    )
    dashboard = Dashboard.objects.create(workspace=workspace, owner=owner, name="d")

    for number, name in enumerate(NAMES):
        label = name[:250] + f" {number}"[: 255 - len(name[:250])]
        edited = owner_client.post(
            reverse("datasources:source_edit", args=[source.pk]),
            _source_edit_form(source, name, label),
        )
        created = owner_client.post(
            reverse("klips:klip_create") + f"?dashboard={dashboard.pk}",
            {
                "name": name,
                "kind": "number",
                "source": source.pk,
                "agg": "count",
                "format_kind": "number",
                "bar_mode": "grouped",
                "orientation": "vertical",
                "target_label": "Target",
            },
        )

        assert edited.status_code == 302, edited.content.decode()[-2000:]
        assert created.status_code == 302, created.content.decode()[-2000:]
        source.refresh_from_db()
        assert source.name == name
        assert source.columns[0]["name"] == label
        assert dashboard.klips.filter(name=name).count() == 1
        assert _shown(
            owner_client.get(reverse("datasources:source_detail", args=[source.pk])),
            name,
        )
        assert _shown(
            owner_client.get(reverse("klips:dashboard_detail", args=[dashboard.pk])),
            name,
        )
