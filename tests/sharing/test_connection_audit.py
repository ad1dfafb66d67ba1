"""Connection changes land in the workspace's audit log."""

from django.urls import reverse

from workspaces.models import AuditEvent


def test_renaming_and_deleting_a_connection_is_audited(world, as_user):
    connection = world.mine.connection
    client = as_user(world.owner)

    client.post(
        reverse("connectors:connection_rename", args=[connection.pk]),
        {"name": "Agency Harvest"},
    )
    client.post(reverse("connectors:connection_delete", args=[connection.pk]))

    events = AuditEvent.objects.filter(action__startswith="connection.").order_by("pk")
    assert [(e.action, e.actor_id) for e in events] == [
        ("connection.renamed", world.owner.pk),
        ("connection.deleted", world.owner.pk),
    ]
    assert events[0].detail == {"old_name": "owner@example.com@Harvest"}
    assert events[1].detail == {"orphaned_sources": 2}
