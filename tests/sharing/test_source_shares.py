"""Data source shares: levels, roles, revocation, and who may share."""

from django.urls import reverse

from datasources.models import DataSource, SourceShare
from datasources.sharing import WHOLE_WORKSPACE
from workspaces.models import AuditEvent, Membership


def _detail(source):
    return reverse("datasources:source_detail", args=[source.pk])


def _edit(source):
    return reverse("datasources:source_edit", args=[source.pk])


def test_it_lets_a_use_share_see_the_source_but_not_change_it(world, as_user):
    source = world.mine.source
    client = as_user(world.viewer)

    assert client.get(_detail(source)).status_code == 200
    assert client.get(_edit(source)).status_code == 404


def test_it_lets_an_edit_share_change_settings_but_not_delete(world, as_user):
    source = world.mine.source
    client = as_user(world.editor)

    assert client.get(_edit(source)).status_code == 200
    deleted = client.post(reverse("datasources:source_delete", args=[source.pk]))
    assert deleted.status_code == 404
    assert DataSource.objects.filter(pk=source.pk).exists()


def test_it_hides_an_unshared_source_like_a_missing_one(world, as_user):
    client = as_user(world.member)

    assert client.get(_detail(world.mine.source)).status_code == 404
    assert (
        client.get(reverse("datasources:source_detail", args=[99999])).status_code
        == 404
    )


def test_it_refuses_edit_to_a_viewer_role_whatever_the_share(world, as_user):
    Membership.objects.filter(user=world.editor).update(role=Membership.Role.VIEWER)
    client = as_user(world.editor)

    assert client.get(_detail(world.mine.source)).status_code == 200
    assert client.get(_edit(world.mine.source)).status_code == 404


def test_it_refuses_a_revoked_share_on_the_next_request(world, as_user):
    source = world.mine.source
    viewer_client = as_user(world.viewer)
    assert viewer_client.get(_detail(source)).status_code == 200

    owner_client = as_user(world.owner)
    revoked = owner_client.post(
        reverse("datasources:source_unshare", args=[source.pk]),
        {"grantee": world.viewer.pk},
    )
    assert revoked.status_code == 302

    viewer_client = as_user(world.viewer)
    assert viewer_client.get(_detail(source)).status_code == 404


def test_it_keeps_sharing_with_the_owner(world, as_user):
    source = world.mine.source
    client = as_user(world.editor)

    response = client.post(
        reverse("datasources:source_share", args=[source.pk]),
        {"grantee": world.member.pk, "level": "edit"},
    )

    assert response.status_code == 404
    assert not SourceShare.objects.filter(source=source, grantee=world.member).exists()


def test_it_shares_with_the_whole_workspace_at_use_level_only(world, as_user):
    source = world.mine.source
    client = as_user(world.owner)
    url = reverse("datasources:source_share", args=[source.pk])

    refused = client.post(
        url, {"grantee": WHOLE_WORKSPACE, "level": "edit"}, follow=True
    )
    source.refresh_from_db()
    assert source.shared_with_workspace is False
    assert "give edit access to members one by one" in refused.content.decode()

    client.post(url, {"grantee": WHOLE_WORKSPACE, "level": "use"})
    source.refresh_from_db()
    assert source.shared_with_workspace is True
    assert as_user(world.member).get(_detail(source)).status_code == 200
    assert as_user(world.member).get(_edit(source)).status_code == 404


def test_it_refuses_to_share_with_someone_outside_the_workspace(world, as_user):
    source = world.mine.source
    response = as_user(world.owner).post(
        reverse("datasources:source_share", args=[source.pk]),
        {"grantee": world.outsider.pk, "level": "use"},
        follow=True,
    )

    assert "Share with a member of this workspace." in response.content.decode()
    assert not SourceShare.objects.filter(grantee=world.outsider).exists()


def test_an_edit_share_cannot_share_through_the_settings_form(world, as_user):
    source = world.mine.source
    client = as_user(world.editor)

    client.post(
        _edit(source),
        {
            "name": "Renamed by editor",
            "schedule": "60",
            "shared_with_workspace": "on",
            "columns-TOTAL_FORMS": "0",
            "columns-INITIAL_FORMS": "0",
        },
    )

    source.refresh_from_db()
    assert source.name == "Renamed by editor"
    assert source.shared_with_workspace is False


def test_it_records_shares_and_unshares_in_the_audit_log(world):
    events = AuditEvent.objects.filter(
        workspace=world.mine.workspace, action__startswith="source."
    ).order_by("pk")

    # build_world: per source, edit + use + edit shares, then one revoked.
    actions = [(e.action, e.detail.get("grantee")) for e in events[:4]]
    assert actions == [
        ("source.shared", "editor@example.com"),
        ("source.shared", "viewer@example.com"),
        ("source.shared", "revoked@example.com"),
        ("source.unshared", "revoked@example.com"),
    ]
    assert all(e.actor == world.owner for e in events)


def test_the_share_panel_is_the_owners_only(world, as_user):
    url = _detail(world.mine.source)

    owner_page = as_user(world.owner).get(url).content.decode()
    editor_page = as_user(world.editor).get(url).content.decode()

    assert 'id="share-panel"' in owner_page
    assert "viewer@example.com" in owner_page
    assert 'id="share-panel"' not in editor_page


def test_it_drops_a_leaving_members_shares_of_sources_and_dashboards(
    owner, workspace, teammate
):
    from datasources.models import DataSource, SourceShare
    from datasources.sharing import share_source
    from klips.models import Dashboard, DashboardShare
    from klips.sharing import share_dashboard
    from workspaces.actions import remove_member
    from workspaces.models import Membership

    source = DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        name="Time",
        account_id=4411001,
        query_url="/v2/time_entries",
    )
    dashboard = Dashboard.objects.create(workspace=workspace, owner=owner, name="D")
    share_source(source, owner, str(teammate.pk), "edit")
    share_dashboard(dashboard, owner, str(teammate.pk), "view")
    leaving = Membership.objects.get(workspace=workspace, user=teammate)

    remove_member(leaving, leaving)

    assert not SourceShare.objects.filter(grantee=teammate).exists()
    assert not DashboardShare.objects.filter(grantee=teammate).exists()
