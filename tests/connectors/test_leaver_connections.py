"""A member who leaves (or is removed) takes their Harvest tokens with them."""

from connectors.models import Connection
from datasources.models import DataSource
from tests.connectors.conftest import make_connection
from workspaces.models import AuditEvent, Membership


def _source_on(connection, name: str) -> DataSource:
    return DataSource.objects.create(
        workspace=connection.workspace,
        owner=connection.owner,
        connection=connection,
        name=name,
        recipe="time-entries-this-month",
        account_id=1122334,
        query_url="/v2/time_entries",
    )


def test_a_removed_members_connections_there_are_deleted(
    owner_client, teammate, workspace
):
    theirs = make_connection(teammate, workspace, name="Teammate@Harvest")
    source = _source_on(theirs, "Teammate's hours")
    own_workspace = Membership.objects.get(user=teammate, role="admin").workspace
    elsewhere = make_connection(teammate, own_workspace, name="Elsewhere@Harvest")
    mine = make_connection(workspace.membership_set.get(role="admin").user, workspace)

    owner_client.post(f"/workspaces/members/{teammate.pk}/remove/")

    assert sorted(Connection.objects.values_list("pk", flat=True)) == sorted(
        [elsewhere.pk, mine.pk]
    )
    source.refresh_from_db()
    assert (source.connection_id, source.name) == (None, "Teammate's hours")
    deleted = AuditEvent.objects.get(action="connection.deleted")
    assert (deleted.workspace_id, deleted.actor_id, deleted.target, deleted.detail) == (
        workspace.pk,
        workspace.membership_set.get(role="admin").user_id,
        f"connection {theirs.pk} “Teammate@Harvest”",
        {"orphaned_sources": 1, "reason": "its owner is no longer a member"},
    )


def test_a_member_who_leaves_loses_only_that_workspaces_connections(
    client, teammate, workspace
):
    theirs = make_connection(teammate, workspace)
    own_workspace = Membership.objects.get(user=teammate, role="admin").workspace
    elsewhere = make_connection(teammate, own_workspace)
    client.force_login(teammate)

    client.post(f"/workspaces/members/{teammate.pk}/remove/")

    assert not Connection.objects.filter(pk=theirs.pk).exists()
    assert Connection.objects.filter(pk=elsewhere.pk).exists()
    deleted = AuditEvent.objects.get(action="connection.deleted")
    assert deleted.actor_id == teammate.pk


def test_a_refused_removal_keeps_the_connections(owner_client, owner, workspace):
    connection = make_connection(owner, workspace)

    owner_client.post(f"/workspaces/members/{owner.pk}/remove/")

    assert Connection.objects.filter(pk=connection.pk).exists()
