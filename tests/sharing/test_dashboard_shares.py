"""Dashboard shares: viewers see results, never the sources behind them."""

import json

from django.urls import reverse

from datasources.models import SourceShare
from klips.models import Dashboard, DashboardShare, Klip
from workspaces.models import Membership


def _klip_data(dashboard, klip):
    return reverse("klips:klip_data", args=[dashboard.pk, klip.pk])


def test_a_dashboard_viewer_sees_results_but_not_the_source(world, as_user):
    mine = world.mine
    SourceShare.objects.filter(grantee=world.viewer).delete()
    client = as_user(world.viewer)

    page = client.get(reverse("klips:dashboard_detail", args=[mine.dashboard.pk]))
    data = client.get(_klip_data(mine.dashboard, mine.klip)).json()
    source_page = client.get(
        reverse("datasources:source_detail", args=[mine.source.pk])
    )

    assert page.status_code == 200
    assert data["figure"]["data"][0]["x"] == ["Acme Corp", "Globex"]
    assert data["figure"]["data"][0]["y"] == [7.5, 7.75]
    assert source_page.status_code == 404
    assert "/v2/time_entries" not in page.content.decode()
    connection_url = reverse("connectors:connection_detail", args=[mine.connection.pk])
    assert client.get(connection_url).status_code == 404


def test_a_view_share_cannot_change_the_dashboard(world, as_user):
    mine = world.mine
    client = as_user(world.viewer)

    edit = client.get(
        reverse("klips:klip_edit", args=[mine.dashboard.pk, mine.klip.pk])
    )
    layout = client.post(
        reverse("klips:layout_save", args=[mine.dashboard.pk]),
        json.dumps([{"id": mine.klip.pk, "x": 0, "y": 0, "w": 3, "h": 3}]),
        content_type="application/json",
    )

    assert (edit.status_code, layout.status_code) == (404, 404)
    assert Klip.objects.get(pk=mine.klip.pk).w == 6


def test_an_edit_share_edits_but_cannot_delete_share_or_publish(world, as_user):
    mine = world.mine
    client = as_user(world.editor)

    edit = client.get(
        reverse("klips:klip_edit", args=[mine.dashboard.pk, mine.klip.pk])
    )
    delete = client.post(reverse("klips:dashboard_delete", args=[mine.dashboard.pk]))
    share = client.post(
        reverse("klips:dashboard_share", args=[mine.dashboard.pk]),
        {"grantee": world.member.pk, "level": "view"},
    )
    publish = client.get(reverse("klips:dashboard_publish", args=[mine.dashboard.pk]))

    assert [r.status_code for r in (edit, delete, share, publish)] == [
        200,
        404,
        404,
        404,
    ]
    assert Dashboard.objects.filter(pk=mine.dashboard.pk).exists()
    assert not DashboardShare.objects.filter(grantee=world.member).exists()


def test_a_viewer_role_never_edits_even_with_an_edit_share(world, as_user):
    mine = world.mine
    Membership.objects.filter(user=world.editor).update(role=Membership.Role.VIEWER)
    client = as_user(world.editor)

    page = client.get(reverse("klips:dashboard_detail", args=[mine.dashboard.pk]))
    edit = client.get(
        reverse("klips:klip_edit", args=[mine.dashboard.pk, mine.klip.pk])
    )

    assert page.status_code == 200
    assert page.context["can_edit"] is False
    assert edit.status_code == 404


def test_revoking_a_dashboard_share_refuses_the_next_request(world, as_user):
    mine = world.mine
    url = reverse("klips:dashboard_detail", args=[mine.dashboard.pk])
    assert as_user(world.viewer).get(url).status_code == 200

    as_user(world.owner).post(
        reverse("klips:dashboard_unshare", args=[mine.dashboard.pk]),
        {"grantee": world.viewer.pk},
    )

    client = as_user(world.viewer)
    assert client.get(url).status_code == 404
    assert client.get(_klip_data(mine.dashboard, mine.klip)).status_code == 404


def test_a_klip_id_with_another_dashboards_id_is_a_404(world, as_user):
    mine = world.mine
    client = as_user(world.owner)

    mismatched = client.get(_klip_data(mine.dashboard, mine.klip_b))

    assert mismatched.status_code == 404


def test_sharing_a_dashboard_records_who_and_at_what_level(world, as_user):
    mine = world.mine
    as_user(world.owner).post(
        reverse("klips:dashboard_share", args=[mine.dashboard.pk]),
        {"grantee": world.member.pk, "level": "edit"},
    )

    share = DashboardShare.objects.get(dashboard=mine.dashboard, grantee=world.member)
    event = mine.workspace.audit_events.filter(action="dashboard.shared").first()
    assert share.level == "edit"
    assert (event.detail["grantee"], event.detail["level"]) == (
        "member@example.com",
        "edit",
    )


def test_revoking_the_owners_source_share_stops_their_dashboards_klips(world, as_user):
    """The editor built a dashboard on a source shared with them and showed it to
    the whole workspace; once the source's owner revokes that share, nobody sees
    its data through the editor's dashboard."""
    mine = world.mine
    mine.source.shared_with_workspace = False
    mine.source.save(update_fields=["shared_with_workspace"])
    SourceShare.objects.update_or_create(
        source=mine.source, grantee=world.editor, defaults={"level": "use"}
    )
    dashboard = Dashboard.objects.create(
        workspace=mine.dashboard.workspace,
        owner=world.editor,
        name="Editor's board",
        shared_with_workspace=True,
    )
    klip = Klip.objects.create(
        dashboard=dashboard, name="Hours", kind=mine.klip.kind, spec=mine.klip.spec
    )
    klip.sources.set([mine.source])
    client = as_user(world.member)
    before = client.get(_klip_data(dashboard, klip)).json()

    SourceShare.objects.filter(source=mine.source, grantee=world.editor).delete()
    after = client.get(_klip_data(dashboard, klip))

    assert before["figure"]["data"][0]["y"] == [7.5, 7.75]
    assert "7.75" not in after.content.decode()
    assert "not available" in after.content.decode()


def test_dashboards_shared_with_one_person_are_listed_as_shared_with_me(world, as_user):
    client = as_user(world.viewer)

    html = client.get(reverse("klips:dashboard_list")).content.decode()

    shared_part = html.split("<h2>Shared with me</h2>", 1)[1]
    assert "Shared with my workspace" not in html
    assert [
        name for name in ("Hours", "Projects") if f">{name}</a>" in shared_part
    ] == [
        "Hours",
        "Projects",
    ]
    assert shared_part.count("by owner@example.com") == 2
