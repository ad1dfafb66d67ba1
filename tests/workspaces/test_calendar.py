"""Admins set the workspace's time zone and the day its weeks start."""

import pytest

from workspaces.models import AuditEvent, Membership


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_an_admin_sets_the_time_zone_and_week_start(owner_client, workspace):
    page = owner_client.get("/workspaces/members/")

    response = owner_client.post(
        "/workspaces/members/calendar/",
        {"time_zone": " America/New_York ", "week_start": "6"},
        follow=True,
    )

    workspace.refresh_from_db()
    assert 'name="week_start"' in page.content.decode()
    assert (workspace.time_zone, workspace.week_start) == ("America/New_York", 6)
    assert _messages(response) == ["Saved: Klips use this time zone and week start."]
    event = AuditEvent.objects.get(action="workspace.calendar")
    assert event.detail == {"time_zone": "America/New_York", "week_start": "Sunday"}


def test_only_admins_set_the_dates(client, teammate, workspace):
    client.force_login(teammate)

    response = client.post(
        "/workspaces/members/calendar/",
        {"time_zone": "Europe/Berlin", "week_start": "6"},
        follow=True,
    )

    workspace.refresh_from_db()
    assert Membership.objects.get(user=teammate, workspace=workspace).role == "editor"
    assert (workspace.time_zone, workspace.week_start) == ("", 0)
    assert _messages(response) == ["Only a workspace admin can manage members."]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"time_zone": "Mars/Olympus", "week_start": "0"},
            "“Mars/Olympus” is not a time zone name; use one such as Europe/Berlin.",
        ),
        (
            {"time_zone": "", "week_start": "7"},
            "Select a valid choice. 7 is not one of the available choices.",
        ),
    ],
)
def test_bad_dates_are_refused_with_a_message(owner_client, workspace, fields, message):
    response = owner_client.post("/workspaces/members/calendar/", fields, follow=True)

    workspace.refresh_from_db()
    assert (workspace.time_zone, workspace.week_start) == ("", 0)
    assert _messages(response) == [message]
