"""A member who leaves, or is removed, leaves nothing behind that nobody may edit:
their sources and dashboards in that workspace go to an admin."""

from datasources.models import DataSource, SourceShare
from klips.models import Dashboard, DashboardShare
from tests.conftest import make_user
from workspaces.actions import remove_member
from workspaces.models import AuditEvent, Membership


def _source(workspace, owner, name: str) -> DataSource:
    return DataSource.objects.create(
        workspace=workspace, owner=owner, name=name, account_id=1, query_url="/v2/tasks"
    )


def _admin(workspace, email: str):
    user = make_user(email)
    Membership.objects.create(workspace=workspace, user=user, role="admin")
    return user


def test_a_removed_members_sources_and_dashboards_go_to_the_admin_removing_them(
    client, owner, teammate, workspace
):
    second_admin = _admin(workspace, "second@example.com")
    source = _source(workspace, teammate, "Teammate's hours")
    SourceShare.objects.create(source=source, grantee=second_admin, level="use")
    SourceShare.objects.create(source=source, grantee=owner, level="edit")
    dashboard = Dashboard.objects.create(
        workspace=workspace,
        owner=teammate,
        name="Team week",
        shared_with_workspace=True,
    )
    own_workspace = Membership.objects.get(user=teammate, role="admin").workspace
    elsewhere = _source(own_workspace, teammate, "Elsewhere")
    client.force_login(second_admin)

    response = client.post(f"/workspaces/members/{teammate.pk}/remove/")

    source.refresh_from_db()
    dashboard.refresh_from_db()
    elsewhere.refresh_from_db()
    assert response.status_code == 302
    assert (source.owner, dashboard.owner) == (second_admin, second_admin)
    assert dashboard.shared_with_workspace is True
    assert list(source.shares.values_list("grantee__email", "level")) == [
        ("owner@example.com", "edit")
    ]
    assert elsewhere.owner == teammate
    handed = AuditEvent.objects.filter(action__endswith=".handed_over").order_by(
        "action"
    )
    assert [(e.action, e.actor, e.target, e.detail) for e in handed] == [
        (
            "dashboard.handed_over",
            second_admin,
            f"dashboard {dashboard.pk} “Team week”",
            {"owner": "second@example.com", "previous_owner": "teammate@example.com"},
        ),
        (
            "source.handed_over",
            second_admin,
            f"source {source.pk} “Teammate's hours”",
            {"owner": "second@example.com", "previous_owner": "teammate@example.com"},
        ),
    ]


def test_a_member_who_leaves_hands_over_to_the_longest_standing_admin(
    owner, teammate, workspace
):
    _admin(workspace, "later@example.com")
    dashboard = Dashboard.objects.create(
        workspace=workspace, owner=teammate, name="Mine"
    )
    DashboardShare.objects.create(dashboard=dashboard, grantee=owner, level="view")
    leaving = Membership.objects.get(workspace=workspace, user=teammate)

    remove_member(leaving, leaving)

    dashboard.refresh_from_db()
    assert dashboard.owner == owner
    assert not DashboardShare.objects.filter(dashboard=dashboard).exists()
    assert not Membership.objects.filter(workspace=workspace, user=teammate).exists()


def test_a_refused_removal_hands_nothing_over(client, owner, teammate, workspace):
    source = _source(workspace, owner, "Owner's")
    client.force_login(teammate)

    client.post(f"/workspaces/members/{owner.pk}/remove/")

    source.refresh_from_db()
    assert source.owner == owner
    assert not AuditEvent.objects.filter(action__endswith=".handed_over").exists()
