import pytest
from django.urls import reverse

from klips.models import Klip
from tests.klips.helpers import make_dashboard, make_klip


def klip_urls(dashboard, klip) -> list[tuple[str, str]]:
    ids = [dashboard.pk, klip.pk]
    return [
        ("get", reverse("klips:dashboard_detail", args=[dashboard.pk])),
        ("get", reverse("klips:dashboard_rename", args=[dashboard.pk])),
        ("post", reverse("klips:dashboard_rename", args=[dashboard.pk])),
        ("get", reverse("klips:dashboard_delete", args=[dashboard.pk])),
        ("post", reverse("klips:dashboard_delete", args=[dashboard.pk])),
        ("post", reverse("klips:layout_save", args=[dashboard.pk])),
        ("get", reverse("klips:klip_create") + f"?dashboard={dashboard.pk}"),
        ("post", reverse("klips:klip_create") + f"?dashboard={dashboard.pk}"),
        ("get", reverse("klips:klip_edit", args=ids)),
        ("post", reverse("klips:klip_edit", args=ids)),
        ("post", reverse("klips:klip_delete", args=ids)),
        ("get", reverse("klips:klip_data", args=ids)),
        ("get", reverse("klips:klip_csv", args=ids)),
    ]


@pytest.fixture
def owned(workspace, owner, time_entries):
    dashboard = make_dashboard(workspace, owner)
    return dashboard, make_klip(dashboard, time_entries)


def test_it_hides_every_klips_url_from_an_outsider(client, outsider, owned):
    client.force_login(outsider)

    for method, url in klip_urls(*owned):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url)

    assert Klip.objects.filter(pk=owned[1].pk).exists()


def test_it_hides_a_private_dashboard_from_a_teammate(client, teammate, owned):
    client.force_login(teammate)

    for method, url in klip_urls(*owned):
        assert getattr(client, method)(url).status_code == 404, (method, url)


def test_it_shows_a_shared_dashboard_to_a_teammate_read_only(client, teammate, owned):
    dashboard, klip = owned
    dashboard.shared_with_workspace = True
    dashboard.save()
    client.force_login(teammate)

    assert (
        client.get(reverse("klips:dashboard_detail", args=[dashboard.pk])).status_code
        == 200
    )
    data = client.get(reverse("klips:klip_data", args=[dashboard.pk, klip.pk]))
    assert data.json()["figure"]["data"][0]["y"] == [10.0, 7.0, 0.5]
    edit = reverse("klips:klip_edit", args=[dashboard.pk, klip.pk])
    assert client.get(edit).status_code == 404
    assert (
        client.post(
            reverse("klips:klip_delete", args=[dashboard.pk, klip.pk])
        ).status_code
        == 404
    )


def test_it_refuses_a_klip_id_with_another_dashboards_id(
    owner_client, workspace, owner, owned
):
    _dashboard, klip = owned
    other = make_dashboard(workspace, owner, name="Other")

    for name in ("klip_data", "klip_csv", "klip_edit"):
        response = owner_client.get(reverse(f"klips:{name}", args=[other.pk, klip.pk]))
        assert response.status_code == 404, name
    response = owner_client.post(reverse("klips:klip_delete", args=[other.pk, klip.pk]))
    assert response.status_code == 404
    assert Klip.objects.filter(pk=klip.pk).exists()


def test_it_offers_only_sources_the_user_may_use(
    owner_client, workspace, owner, teammate, time_entries
):
    from tests.klips.conftest import ENTRIES, make_source

    private = make_source(workspace, teammate, ENTRIES, name="Teammate's private")
    dashboard = make_dashboard(workspace, owner)

    response = owner_client.post(
        reverse("klips:klip_preview"),
        {
            "name": "x",
            "kind": "bar",
            "source": private.pk,
            "group_by": "Project name",
            "agg": "sum",
            "measure_column": "Hours",
            "format_kind": "number",
            "bar_mode": "grouped",
            "orientation": "vertical",
        },
    )

    assert response.status_code == 422
    assert "source" in response.json()["error"]
    editor = owner_client.get(
        reverse("klips:klip_create") + f"?dashboard={dashboard.pk}"
    )
    assert b"Teammate&#x27;s private" not in editor.content
    assert time_entries.name.encode() in editor.content


def test_it_lets_a_viewer_look_but_not_build(client, workspace, owned):
    from tests.conftest import make_user
    from workspaces.models import Membership

    dashboard, klip = owned
    dashboard.shared_with_workspace = True
    dashboard.save()
    viewer = make_user("viewer@example.com")
    Membership.objects.create(
        workspace=workspace, user=viewer, role=Membership.Role.VIEWER
    )
    client.force_login(viewer)

    listing = client.get(reverse("klips:dashboard_list"))
    create = client.post(reverse("klips:dashboard_create"), {"name": "Mine"})
    data = client.get(reverse("klips:klip_data", args=[dashboard.pk, klip.pk]))

    assert listing.context["mine"] == []
    assert b"New dashboard" not in listing.content
    assert create.status_code == 403
    assert data.status_code == 200
