"""A source's column model before a refresh with rows: its recipe's columns."""

from connectors.catalog import get_recipe
from datasources.modelling import default_columns, flatten, infer_columns
from datasources.models import DataSource


def _typed(columns) -> list[tuple[str, str]]:
    return [(column.name, column.type.value) for column in columns]


def test_it_types_recipe_paths_by_their_names():
    budgets = get_recipe("harvest", "projects-with-budgets").default_columns
    projects = get_recipe("harvest", "projects-active").default_columns

    assert _typed(default_columns(budgets)) == [
        ("Project id", "integer"),
        ("Project name", "text"),
        ("Client name", "text"),
        ("Budget by", "text"),
        ("Budget", "decimal"),
        ("Budget spent", "currency"),
        ("Budget remaining", "currency"),
    ]
    assert _typed(default_columns(projects)) == [
        ("Id", "integer"),
        ("Name", "text"),
        ("Code", "text"),
        ("Client name", "text"),
        ("Is billable", "boolean"),
        ("Budget by", "text"),
        ("Budget", "decimal"),
        ("Cost budget", "currency"),
        ("Starts on", "date"),
        ("Ends on", "date"),
    ]


def test_the_defaults_match_what_a_refresh_with_rows_infers():
    record = {
        "id": 7,
        "spent_date": "2026-12-01",
        "hours": 1.5,
        "billable": True,
        "project": {"name": "Apollo"},
        "created_at": "2026-12-01T09:00:00Z",
        "weekly_capacity": 126000,
        "total_cost": 12.5,
    }
    paths = list(flatten(record))

    assert _typed(default_columns(paths)) == _typed(infer_columns([flatten(record)]))


def test_a_source_uses_its_own_model_once_it_has_one(workspace, owner):
    source = DataSource(
        workspace=workspace,
        owner=owner,
        name="Time",
        account_id=1,
        recipe="running-timers",
        query_url="/v2/time_entries?is_running=true",
    )
    custom = DataSource(workspace=workspace, owner=owner, name="Mine", account_id=1)

    defaults = [column["name"] for column in source.column_model()]
    source.columns = [{"name": "Hours", "path": "hours", "type": "hours"}]

    assert defaults[:3] == ["Spent date", "User name", "Client name"]
    assert defaults[-2:] == ["User id", "Project id"]
    assert len(defaults) == 11
    assert source.column_model() == [
        {"name": "Hours", "path": "hours", "type": "hours"}
    ]
    assert custom.column_model() == []


def test_a_custom_source_borrows_the_columns_of_a_recipe_on_its_path(workspace, owner):
    def custom(query_url: str) -> DataSource:
        return DataSource(
            workspace=workspace,
            owner=owner,
            name="Custom",
            account_id=1,
            query_url=query_url,
        )

    entries = custom("/v2/time_entries?from=2020-01-01&to=2020-01-31")
    invoices = custom("/v2/invoices?client_id=5")

    assert [c["name"] for c in entries.column_model()][:4] == [
        "Spent date",
        "User name",
        "Client name",
        "Project name",
    ]
    # Not the payments recipe's columns, though it also starts from /v2/invoices.
    assert [c["name"] for c in invoices.column_model()][:3] == [
        "Number",
        "Client name",
        "State",
    ]
    assert custom("/v2/invoice_item_categories").column_model() == []
