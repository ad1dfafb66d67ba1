"""Published links: secret, locked server-side, revocable, never indexed."""

from django.contrib.auth.hashers import check_password
from django.urls import reverse

from datasources.models import DataSource
from klips import published
from klips.models import Klip, PublishedLink
from tests.authz.world import make_dashboard, make_source, store_rows


def _page(link):
    return reverse("published:dashboard", args=[link.token])


def _data(link, klip):
    return reverse("published:klip_data", args=[link.token, klip.pk])


def test_it_shows_the_dashboard_to_anyone_with_the_link_noindex(world, client):
    link = world.mine.link

    response = client.get(_page(link))
    data = client.get(_data(link, world.mine.klip))

    body = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in body
    assert 'id="data-as-of">Data as of ' in body
    assert 'id="stale-notice"' not in body
    assert data["X-Robots-Tag"] == "noindex, nofollow"
    assert data.json()["figure"]["data"][0]["y"] == [7.5, 7.75]


def test_its_token_carries_at_least_128_random_bits(world):
    first = world.mine.link
    second = published.create_link(world.mine.dashboard, world.owner)

    # token_urlsafe: 6 bits per character; 22 characters make 132 bits.
    assert len(first.token) >= 22
    assert first.token != second.token


def test_a_locked_link_only_ever_shows_its_client(world, client):
    link = published.create_link(
        world.mine.dashboard,
        world.owner,
        lock_column="Client name",
        lock_value="Acme Corp",
    )

    data = client.get(_data(link, world.mine.klip) + "?client=Globex&filters=x")

    figure = data.json()["figure"]["data"][0]
    assert (figure["x"], figure["y"]) == (["Acme Corp"], [7.5])


def test_a_klip_without_the_locked_column_is_withheld(world, client):
    mine = world.mine
    projects_only = make_source(mine.workspace, world.owner, mine.connection, "P")
    projects_only.columns = [
        c for c in projects_only.columns if c["name"] != "Client name"
    ]
    projects_only.save(update_fields=["columns"])
    _, klip = make_dashboard(
        mine.workspace,
        world.owner,
        projects_only,
        "Unlockable",
        {
            "sources": [],
            "group_by": [{"column": "Project name"}],
            "measures": [{"column": "Hours", "agg": "sum"}],
        },
    )
    Klip.objects.filter(pk=klip.pk).update(dashboard=mine.dashboard)
    link = published.create_link(
        mine.dashboard, world.owner, lock_column="Client name", lock_value="Globex"
    )

    data = client.get(_data(link, klip))

    assert data.status_code == 422
    assert data.json() == {
        "klip_id": klip.pk,
        "error": "This Klip is not shown on this link.",
    }


def test_a_revoked_link_is_refused_on_the_next_request(world, client):
    link = world.mine.link
    assert client.get(_page(link)).status_code == 200

    published.revoke_link(link, world.owner)

    assert client.get(_page(link)).status_code == 404
    assert client.get(_data(link, world.mine.klip)).status_code == 404


def test_a_password_link_asks_first_and_stores_only_a_hash(world, client):
    link = published.create_link(
        world.mine.dashboard, world.owner, password="s3cret pass"
    )
    stored = PublishedLink.objects.get(pk=link.pk).password

    asked = client.get(_page(link))
    locked_data = client.get(_data(link, world.mine.klip))
    wrong = client.post(_page(link), {"password": "guess"})
    right = client.post(_page(link), {"password": "s3cret pass"})
    data = client.get(_data(link, world.mine.klip))

    assert "s3cret" not in stored and check_password("s3cret pass", stored)
    assert "needs a password" in asked.content.decode()
    assert locked_data.status_code == 403
    assert "That password is not right." in wrong.content.decode()
    assert right.status_code == 302
    assert data.json()["figure"]["data"][0]["y"] == [7.5, 7.75]


def test_ten_wrong_passwords_lock_the_address_out_for_a_while(world, client):
    link = published.create_link(
        world.mine.dashboard, world.owner, password="right one"
    )

    wrong = [client.post(_page(link), {"password": f"guess {n}"}) for n in range(10)]
    right = client.post(_page(link), {"password": "right one"})

    assert [r.status_code for r in wrong] == [200] * 10
    assert right.status_code == 429
    assert "Too many wrong passwords" in right.content.decode()
    assert client.get(_data(link, world.mine.klip)).status_code == 403


def test_a_stale_source_shows_the_stale_notice(world, client):
    DataSource.objects.filter(pk=world.mine.source.pk).update(
        status=DataSource.Status.STALE
    )

    body = client.get(_page(world.mine.link)).content.decode()

    assert 'id="stale-notice"' in body


def test_it_publishes_one_locked_link_per_client(world, as_user):
    mine = world.mine
    extra = make_source(mine.workspace, world.owner, mine.connection, "Other clients")
    store_rows(
        extra,
        [{"client": {"name": "Initech"}, "project": {"name": "TPS"}, "hours": 3.0}],
    )
    _, klip = make_dashboard(
        mine.workspace,
        world.owner,
        extra,
        "X",
        {
            "sources": [],
            "group_by": [{"column": "Client name"}],
            "measures": [{"column": "Hours", "agg": "sum"}],
        },
    )
    Klip.objects.filter(pk=klip.pk).update(dashboard=mine.dashboard)
    client = as_user(world.owner)
    url = reverse("klips:dashboard_publish_clients", args=[mine.dashboard.pk])

    client.post(url)
    client.post(url)

    locked = PublishedLink.objects.filter(dashboard=mine.dashboard, revoked_at=None)
    values = sorted(locked.exclude(lock_column="").values_list("lock_value", flat=True))
    assert values == ["Acme Corp", "Globex", "Initech"]
    table = client.get(reverse("klips:dashboard_publish", args=[mine.dashboard.pk]))
    assert table.content.decode().count('data-lock-value="Initech"') == 1
    initech = locked.get(lock_value="Initech")
    figure = client.get(_data(initech, klip)).json()["figure"]["data"][0]
    assert (figure["x"], figure["y"]) == (["Initech"], [3.0])


def test_creating_and_revoking_links_is_audited(world, as_user):
    mine = world.mine
    client = as_user(world.owner)

    client.post(
        reverse("klips:dashboard_publish", args=[mine.dashboard.pk]),
        {"label": "Board", "lock_column": "Client name", "lock_value": "Globex"},
    )
    link = PublishedLink.objects.get(label="Board")
    client.post(reverse("klips:link_revoke", args=[mine.dashboard.pk, link.pk]))

    events = mine.workspace.audit_events.filter(detail__link=link.pk).order_by("pk")
    assert [e.action for e in events] == ["link.created", "link.revoked"]
    assert events[0].detail["lock"] == "Client name = Globex"
    assert PublishedLink.objects.get(pk=link.pk).revoked_at is not None
