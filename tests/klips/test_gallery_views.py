"""The gallery page: cards, one-click adding, and who may add what where."""

import pytest
from django.urls import reverse

from connectors.models import Connection
from datasources.models import DataSource
from klips import gallery
from klips.models import Dashboard
from tests.klips.helpers import make_dashboard
from workspaces.models import Membership

ACCOUNT_ID = 4411001


@pytest.fixture
def connection(owner, workspace) -> Connection:
    return Connection.objects.create(
        workspace=workspace,
        owner=owner,
        name="Dana@Harvest",
        auth_kind=Connection.AuthKind.PERSONAL_TOKEN,
        access_token="test-pat-token",
        accounts=[
            {"id": 4411002, "name": "Agency", "product": "forecast"},
            {"id": ACCOUNT_ID, "name": "Agency", "product": "harvest"},
        ],
    )


def test_it_shows_every_gallery_klip_and_dashboard(owner_client, connection):
    page = owner_client.get(reverse("klips:gallery")).content.decode()

    assert page.count('data-gallery="klip:') == len(gallery.KLIPS)
    assert page.count('data-gallery="dashboard:') == 4
    assert f'value="{connection.pk}:{ACCOUNT_ID}"' in page
    assert f'value="{connection.pk}:4411002"' not in page


def test_it_adds_a_whole_dashboard_in_one_click(owner_client, owner, connection):
    response = owner_client.post(
        reverse("klips:gallery_add"),
        {"item": "dashboard:invoicing", "account": f"{connection.pk}:{ACCOUNT_ID}"},
    )

    dashboard = Dashboard.objects.get(owner=owner, name="Invoicing")
    assert response.url == reverse("klips:dashboard_detail", args=[dashboard.pk])
    assert dashboard.klips.count() == 6
    assert sorted(DataSource.objects.values_list("recipe", flat=True)) == [
        "estimates",
        "expenses-this-year",
        "invoices-open",
        "invoices-overdue",
        "invoices-this-year",
        "uninvoiced-report-this-year",
    ]


def test_it_adds_one_klip_to_a_chosen_dashboard(
    owner_client, owner, workspace, connection
):
    dashboard = make_dashboard(workspace, owner)

    owner_client.post(
        reverse("klips:gallery_add"),
        {
            "item": "klip:timers-running",
            "account": f"{connection.pk}:{ACCOUNT_ID}",
            "dashboard": dashboard.pk,
        },
    )

    assert list(dashboard.klips.values_list("name", "kind")) == [
        ("Timers running now", "table")
    ]
    assert DataSource.objects.get().recipe == "running-timers"


def test_it_refuses_what_is_not_the_users_to_choose(
    client, owner_client, owner, workspace, connection, teammate
):
    theirs = make_dashboard(workspace, teammate, name="Theirs", shared=True)
    account = f"{connection.pk}:{ACCOUNT_ID}"
    add = reverse("klips:gallery_add")

    on_theirs = owner_client.post(
        add, {"item": "klip:timers-running", "account": account, "dashboard": theirs.pk}
    )
    no_dashboard = owner_client.post(
        add, {"item": "klip:timers-running", "account": account}
    )
    unknown = owner_client.post(add, {"item": "klip:nope", "account": account})
    client.force_login(teammate)
    with_owners_connection = client.post(
        add, {"item": "dashboard:team", "account": account}
    )

    assert on_theirs.status_code == 400
    assert "Pick the dashboard the Klip goes on." in no_dashboard.content.decode()
    assert unknown.status_code == 400
    assert with_owners_connection.status_code == 400
    assert not DataSource.objects.exists()
    assert theirs.klips.count() == 0


def test_viewers_cannot_add_from_the_gallery(client, owner, workspace, connection):
    from tests.conftest import make_user

    viewer = make_user("viewer@example.com")
    Membership.objects.create(
        workspace=workspace, user=viewer, role=Membership.Role.VIEWER
    )
    client.force_login(viewer)
    client.post(reverse("workspaces:switch"), {"workspace": workspace.pk})

    assert client.get(reverse("klips:gallery")).status_code == 403
    response = client.post(
        reverse("klips:gallery_add"),
        {"item": "dashboard:team", "account": f"{connection.pk}:{ACCOUNT_ID}"},
    )
    assert response.status_code == 403
    assert not Dashboard.objects.filter(owner=viewer).exists()


def test_it_adds_to_a_dashboard_shared_with_edit_rights(
    owner_client, owner, workspace, connection, teammate
):
    from klips.models import DashboardShare

    theirs = make_dashboard(workspace, teammate, name="Theirs")
    DashboardShare.objects.create(
        dashboard=theirs, grantee=owner, level=DashboardShare.Level.EDIT
    )

    response = owner_client.post(
        reverse("klips:gallery_add"),
        {
            "item": "klip:hours-this-week-by-project",
            "account": f"{connection.pk}:{ACCOUNT_ID}",
            "dashboard": theirs.pk,
        },
    )

    assert response.status_code == 302
    assert list(theirs.klips.values_list("name", flat=True)) == [
        "Hours this week by project"
    ]


def test_it_preselects_the_users_newest_own_dashboard(
    owner_client, owner, workspace, connection
):
    make_dashboard(workspace, owner, name="Older")
    newest = make_dashboard(workspace, owner, name="Newest")

    page = owner_client.get(reverse("klips:gallery")).content.decode()

    assert f'<option value="{newest.pk}" selected>' in page
