from connectors.models import Connection
from datasources.models import DataSource


def _source(workspace, owner, connection, **fields) -> DataSource:
    return DataSource.objects.create(
        workspace=workspace,
        owner=owner,
        connection=connection,
        name=fields.pop("name", "Time entries"),
        account_id=4411001,
        query_url="/v2/time_entries",
        **fields,
    )


def test_it_counts_failing_sources_in_the_header_on_every_page(
    owner_client, owner, workspace
):
    connection = Connection.objects.create(
        workspace=workspace, owner=owner, name="c", auth_kind="pat", access_token="t"
    )
    _source(workspace, owner, connection, failure_count=2, name="Failing")
    _source(workspace, owner, connection, name="Healthy")

    page = owner_client.get("/workspaces/members/").content.decode()

    assert "1 source needs attention" in page


def test_it_counts_sources_whose_connection_needs_reconnecting(
    owner_client, owner, workspace
):
    connection = Connection.objects.create(
        workspace=workspace,
        owner=owner,
        name="c",
        auth_kind="pat",
        access_token="t",
        status=Connection.Status.NEEDS_RECONNECT,
    )
    _source(workspace, owner, connection, name="A")
    _source(workspace, owner, connection, name="B")

    page = owner_client.get("/workspaces/members/").content.decode()

    assert "2 sources need attention" in page
