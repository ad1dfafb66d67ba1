"""A source whose connection was deleted says so and can be given another."""

from django.urls import reverse

from connectors.models import Connection
from datasources.models import DataSource


def _connection(workspace, owner, name: str, account_id: int) -> Connection:
    return Connection.objects.create(
        workspace=workspace,
        owner=owner,
        name=name,
        auth_kind="pat",
        access_token="t",
        accounts=[{"id": account_id, "name": "Agency", "product": "harvest"}],
    )


def _orphan(workspace, owner) -> DataSource:
    return DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        connection=None,
        name="Time entries",
        account_id=4411001,
        query_url="/v2/time_entries",
        refresh_minutes=60,
    )


def _edit_form(source: DataSource, connection: Connection) -> dict:
    return {
        "name": source.name,
        "schedule": "60",
        "connection": connection.pk,
        "columns-TOTAL_FORMS": "0",
        "columns-INITIAL_FORMS": "0",
    }


def test_it_warns_that_a_source_without_connection_no_longer_refreshes(
    owner_client, owner, workspace
):
    source = _orphan(workspace, owner)

    page = owner_client.get(reverse("datasources:source_detail", args=[source.pk]))

    text = page.content.decode()
    assert "This source has no connection" in text
    assert "1 source needs attention" in text


def test_it_gives_the_source_another_connection_and_makes_it_due(
    owner_client, owner, workspace
):
    source = _orphan(workspace, owner)
    replacement = _connection(workspace, owner, "New login", 4411001)

    owner_client.post(
        reverse("datasources:source_edit", args=[source.pk]),
        _edit_form(source, replacement),
    )

    source.refresh_from_db()
    assert source.connection == replacement
    assert source.failure_count == 0
    assert source.next_run_at is not None


def test_it_refuses_a_connection_that_does_not_reach_the_account(
    owner_client, owner, workspace
):
    source = _orphan(workspace, owner)
    elsewhere = _connection(workspace, owner, "Other login", 9999)

    page = owner_client.post(
        reverse("datasources:source_edit", args=[source.pk]),
        _edit_form(source, elsewhere),
    )

    source.refresh_from_db()
    assert source.connection is None
    assert "does not reach Harvest account 4411001" in page.content.decode()


def test_it_moves_the_source_to_another_account_of_its_connection(
    owner_client, owner, workspace
):
    source = _orphan(workspace, owner)
    login = _connection(workspace, owner, "Two accounts", 4411001)
    login.accounts.append({"id": 7700001, "name": "Studio", "product": "harvest"})
    login.accounts.append({"id": 8800001, "name": "Plans", "product": "forecast"})
    login.save()
    source.connection = login
    source.save()

    form = owner_client.get(reverse("datasources:source_edit", args=[source.pk]))
    owner_client.post(
        reverse("datasources:source_edit", args=[source.pk]),
        {**_edit_form(source, login), "account": "7700001"},
    )
    refused = owner_client.post(
        reverse("datasources:source_edit", args=[source.pk]),
        {**_edit_form(source, login), "account": "8800001"},
    )

    source.refresh_from_db()
    assert [
        (value, label)
        for value, label in form.context["form"].fields["account"].choices
    ] == [(4411001, "Agency (4411001)"), (7700001, "Studio (7700001)")]
    assert (source.connection, source.account_id) == (login, 7700001)
    assert source.next_run_at is not None
    assert "Select a valid choice. 8800001 is not one of the available choices." in (
        refused.content.decode()
    )
