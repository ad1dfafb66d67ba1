"""The authorization matrix: every URL pattern, persona and id -> status.

Every URL pattern of the project (admin/ and allauth's own account pages
aside, which have their own tests) needs a row in MATRIX, or
test_every_url_pattern_has_a_row fails: adding a URL means deciding who may
reach it. A row says, for each kind of id it takes, what each persona gets:

    own         the owner's objects in the shared workspace
    foreign     the outsider's objects, in the outsider's own workspace
    mismatched  a child id paired with another parent's id (Klip of another
                dashboard, run of another source, link of another dashboard)
    revoked     (published links) a link that was revoked

Personas, in the order of each expectation string:

    O owner (admin, owns everything in the workspace)
    E editor share (editor role, edit shares on the owner's sources/dashboards)
    V viewer share (editor role, use/view shares)
    M member without a share
    X member of another workspace (owner of the foreign objects)
    A anonymous
    R revoked share (edit shares that the owner revoked)
    P published-link visitor (anonymous, has opened a published link)

Statuses: a number, or L for a redirect to the login page. Pages answer 404
for whatever a user may not see, the same as for an id that does not exist;
the API answers 401 without a token. Each request runs in a savepoint that is
rolled back, so a delete in one cell cannot change the next.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import responses
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from api.tokens import create_token
from klips import published
from tests.authz.world import World, build_world
from workspaces.middleware import SESSION_KEY
from workspaces.models import Invitation

PERSONAS = ("O", "E", "V", "M", "X", "A", "R", "P")
ALL_200 = "200 200 200 200 200 200 200 200"
ALL_404 = "404 404 404 404 404 404 404 404"
SIGNED_IN = "200 200 200 200 200 L 200 L"
REDIRECTS = "302 302 302 302 302 L 302 L"
# The owner's object: shares decide.
VIEW = "200 200 200 404 404 L 404 L"
EDIT = "200 200 404 404 404 L 404 L"
MANAGE = "200 404 404 404 404 L 404 L"
# The outsider's object, seen from each persona's own workspace.
FOREIGN = "404 404 404 404 200 L 404 L"
NOBODY = "404 404 404 404 404 L 404 L"
API_ALL = "200 200 200 200 200 401 200 401"
API_VIEW = "200 200 200 404 404 401 404 401"
API_FOREIGN = "404 404 404 404 200 401 404 401"
API_NOBODY = "404 404 404 404 404 401 404 401"


def redirect(expect: str) -> str:
    """The same cells as `expect`, with 302 where it says 200 (form posts)."""
    return " ".join("302" if cell == "200" else cell for cell in expect.split())


def accepted(expect: str) -> str:
    return " ".join("202" if cell == "200" else cell for cell in expect.split())


Ids = Callable[[World, str], dict]


@dataclass
class Row:
    method: str
    expect: dict[str, str]
    ids: Ids | None = None
    body: Callable[[World, str], dict | list] | None = None
    query: Callable[[World, str], dict] | None = None
    as_json: bool = False
    api: bool = False
    notes: list[str] = field(default_factory=list)


def _estate(world: World, variant: str):
    return world.foreign if variant == "foreign" else world.mine


def source_id(world, variant):
    return {"pk": _estate(world, variant).source.pk}


def source_and_run(world, variant):
    estate = _estate(world, variant)
    run = estate.run_b if variant == "mismatched" else estate.run
    return {"pk": estate.source.pk, "run_pk": run.pk}


def dashboard_id(world, variant):
    return {"dashboard_id": _estate(world, variant).dashboard.pk}


def dashboard_and_klip(world, variant):
    estate = _estate(world, variant)
    klip = estate.klip_b if variant == "mismatched" else estate.klip
    return {"dashboard_id": estate.dashboard.pk, "klip_id": klip.pk}


def dashboard_and_link(world, variant):
    estate = _estate(world, variant)
    link = estate.link
    if variant == "mismatched":
        link = published.create_link(estate.dashboard_b, estate.dashboard_b.owner)
    return {"dashboard_id": estate.dashboard.pk, "link_id": link.pk}


def link_token(world, variant):
    estate = _estate(world, variant)
    if variant == "revoked":
        published.revoke_link(estate.link, estate.dashboard.owner)
    return {"token": estate.link.token}


def link_and_klip(world, variant):
    ids = link_token(world, variant)
    estate = _estate(world, variant)
    klip = estate.klip_b if variant == "mismatched" else estate.klip
    return {**ids, "klip_id": klip.pk}


def connection_id(world, variant):
    return {"pk": _estate(world, variant).connection.pk}


def member_id(world, variant):
    user = world.outsider if variant == "foreign" else world.member
    return {"user_id": user.pk}


def invitation_token(world, variant):
    estate = _estate(world, variant)
    invitation = Invitation.objects.create(
        workspace=estate.workspace,
        email="invited@example.com",
        token=f"invitation-{variant}",
        invited_by=estate.dashboard.owner,
    )
    if variant == "revoked":
        invitation.revoked_at = invitation.created_at
        invitation.save(update_fields=["revoked_at"])
    return {"token": invitation.token}


def invitation_id(world, variant):
    estate = _estate(world, variant)
    invitation = Invitation.objects.create(
        workspace=estate.workspace,
        email="invited@example.com",
        token=f"invitation-{variant}",
        invited_by=estate.dashboard.owner,
    )
    return {"invitation_id": invitation.pk}


def api_token_id(world, variant):
    estate = _estate(world, variant)
    token, _ = create_token(estate.dashboard.owner, estate.workspace)
    return {"token_id": token.pk}


def first_recipe(world, variant):
    return {
        "service": "harvest",
        "recipe": "time-entries-today" if variant == "own" else "nope",
    }


def service(world, variant):
    return {"service": "harvest" if variant == "own" else "nope"}


def klip_preview_body(world, variant):
    source = _estate(world, variant).source
    return {
        "kind": "bar",
        "spec": {
            "sources": [source.pk],
            "group_by": [{"column": "Client name"}],
            "measures": [{"column": "Hours", "agg": "sum"}],
        },
    }


def gallery_body(world, variant):
    estate = _estate(world, variant)
    return {
        "item": "klip:hours-this-week-by-project",
        "account": f"{estate.connection.pk}:4411001",
        "dashboard": estate.dashboard.pk,
    }


def workspace_body(world, variant):
    return {"workspace": _estate(world, variant).workspace.pk}


MATRIX: dict[str, Row] = {
    "home": Row("GET", {"own": "302 302 302 302 302 302 302 302"}),
    # Connections are private to their owner, even inside the workspace.
    "connectors:connection_list": Row("GET", {"own": SIGNED_IN}),
    "connectors:connect_harvest": Row("GET", {"own": REDIRECTS}),
    "connectors:oauth_callback": Row("GET", {"own": REDIRECTS}),
    "connectors:connect_pat": Row("GET", {"own": SIGNED_IN}),
    "connectors:connection_detail": Row(
        "GET", {"own": MANAGE, "foreign": FOREIGN}, connection_id
    ),
    "connectors:connection_rename": Row(
        "POST",
        {"own": redirect(MANAGE), "foreign": redirect(FOREIGN)},
        connection_id,
        body=lambda world, variant: {"name": "Renamed"},
    ),
    "connectors:connection_delete": Row(
        "GET", {"own": MANAGE, "foreign": FOREIGN}, connection_id
    ),
    "connectors:connection_reconnect": Row(
        "GET", {"own": redirect(MANAGE), "foreign": redirect(FOREIGN)}, connection_id
    ),
    # The owner's call reaches Harvest, which is unreachable here: 502.
    "connectors:connection_accounts": Row(
        "GET",
        {
            "own": "502 404 404 404 404 L 404 L",
            "foreign": "404 404 404 404 502 L 404 L",
        },
        connection_id,
    ),
    "datasources:source_list": Row("GET", {"own": SIGNED_IN}),
    "datasources:catalog": Row("GET", {"own": SIGNED_IN}),
    "datasources:service_detail": Row(
        "GET", {"own": SIGNED_IN, "foreign": NOBODY}, service
    ),
    "datasources:wizard_start_custom": Row(
        "GET", {"own": REDIRECTS, "foreign": NOBODY}, service
    ),
    "datasources:wizard_start": Row(
        "GET", {"own": REDIRECTS, "foreign": NOBODY}, first_recipe
    ),
    # A wizard lives in its user's session: any other id has expired.
    "datasources:wizard": Row(
        "GET",
        {"own": REDIRECTS},
        lambda world, variant: {"wizard_id": "not-mine", "step": "connection"},
    ),
    "datasources:source_detail": Row(
        "GET", {"own": VIEW, "foreign": FOREIGN}, source_id
    ),
    # Using a source includes asking for fresh data.
    "datasources:source_refresh": Row(
        "POST", {"own": redirect(VIEW), "foreign": redirect(FOREIGN)}, source_id
    ),
    "datasources:source_resume": Row(
        "POST", {"own": redirect(EDIT), "foreign": redirect(FOREIGN)}, source_id
    ),
    "datasources:source_edit": Row("GET", {"own": EDIT, "foreign": FOREIGN}, source_id),
    "datasources:source_delete": Row(
        "POST", {"own": redirect(MANAGE), "foreign": redirect(FOREIGN)}, source_id
    ),
    "datasources:source_share": Row(
        "POST",
        {"own": redirect(MANAGE), "foreign": redirect(FOREIGN)},
        source_id,
        body=lambda world, variant: {"grantee": world.member.pk, "level": "use"},
    ),
    "datasources:source_unshare": Row(
        "POST",
        {"own": redirect(MANAGE), "foreign": redirect(FOREIGN)},
        source_id,
        body=lambda world, variant: {"grantee": world.viewer.pk},
    ),
    "datasources:run_progress": Row(
        "GET",
        {"own": VIEW, "foreign": FOREIGN, "mismatched": NOBODY},
        source_and_run,
    ),
    "klips:dashboard_list": Row("GET", {"own": SIGNED_IN}),
    "klips:dashboard_create": Row("GET", {"own": SIGNED_IN}),
    "klips:dashboard_detail": Row(
        "GET", {"own": VIEW, "foreign": FOREIGN}, dashboard_id
    ),
    "klips:dashboard_rename": Row(
        "GET", {"own": EDIT, "foreign": FOREIGN}, dashboard_id
    ),
    "klips:dashboard_delete": Row(
        "POST", {"own": redirect(MANAGE), "foreign": redirect(FOREIGN)}, dashboard_id
    ),
    "klips:layout_save": Row(
        "POST",
        {"own": EDIT, "foreign": FOREIGN},
        dashboard_id,
        body=lambda world, variant: [],
        as_json=True,
    ),
    "klips:dashboard_tv": Row("GET", {"own": VIEW, "foreign": FOREIGN}, dashboard_id),
    "klips:dashboard_versions": Row(
        "GET", {"own": VIEW, "foreign": FOREIGN}, dashboard_id
    ),
    "klips:gallery": Row("GET", {"own": SIGNED_IN}),
    # The account and dashboard come in the body: only the owner's pass, the
    # others' forms refuse a connection or dashboard that is not theirs.
    "klips:gallery_add": Row(
        "POST",
        {
            "own": "302 400 400 400 400 L 400 L",
            "foreign": "400 400 400 400 302 L 400 L",
        },
        body=gallery_body,
    ),
    "klips:dashboard_share": Row(
        "POST",
        {"own": redirect(MANAGE), "foreign": redirect(FOREIGN)},
        dashboard_id,
        body=lambda world, variant: {"grantee": world.member.pk, "level": "view"},
    ),
    "klips:dashboard_unshare": Row(
        "POST",
        {"own": redirect(MANAGE), "foreign": redirect(FOREIGN)},
        dashboard_id,
        body=lambda world, variant: {"grantee": world.viewer.pk},
    ),
    "klips:dashboard_publish": Row(
        "GET", {"own": MANAGE, "foreign": FOREIGN}, dashboard_id
    ),
    "klips:dashboard_publish_clients": Row(
        "POST", {"own": redirect(MANAGE), "foreign": redirect(FOREIGN)}, dashboard_id
    ),
    "klips:link_revoke": Row(
        "POST",
        {
            "own": redirect(MANAGE),
            "foreign": redirect(FOREIGN),
            "mismatched": NOBODY,
        },
        dashboard_and_link,
    ),
    "klips:klip_create": Row(
        "GET",
        {"own": EDIT, "foreign": FOREIGN},
        query=lambda world, variant: {
            "dashboard": _estate(world, variant).dashboard.pk
        },
    ),
    # Source ids in the body: a source the user may not use is refused (422).
    "klips:klip_preview": Row(
        "POST",
        {
            "own": "200 200 200 422 422 L 422 L",
            "foreign": "422 422 422 422 200 L 422 L",
        },
        body=klip_preview_body,
        as_json=True,
    ),
    "klips:klip_edit": Row(
        "GET",
        {"own": EDIT, "foreign": FOREIGN, "mismatched": NOBODY},
        dashboard_and_klip,
    ),
    "klips:klip_delete": Row(
        "POST",
        {"own": redirect(EDIT), "foreign": redirect(FOREIGN), "mismatched": NOBODY},
        dashboard_and_klip,
    ),
    "klips:klip_data": Row(
        "GET",
        {"own": VIEW, "foreign": FOREIGN, "mismatched": NOBODY},
        dashboard_and_klip,
    ),
    "klips:klip_csv": Row(
        "GET",
        {"own": VIEW, "foreign": FOREIGN, "mismatched": NOBODY},
        dashboard_and_klip,
    ),
    "workspaces:members": Row("GET", {"own": SIGNED_IN}),
    # Non-admins are told no on the members page (a message after a redirect).
    "workspaces:invite": Row(
        "POST",
        {"own": REDIRECTS},
        body=lambda world, variant: {"email": "new@example.com", "role": "editor"},
    ),
    # Each persona renames the workspace they are in; non-admins are told no.
    "workspaces:rename": Row(
        "POST", {"own": REDIRECTS}, body=lambda world, variant: {"name": "Team"}
    ),
    # Each persona sets their own workspace's dates; non-admins are told no.
    "workspaces:calendar": Row(
        "POST",
        {"own": REDIRECTS},
        body=lambda world, variant: {"time_zone": "Europe/Berlin", "week_start": "6"},
    ),
    "workspaces:set_role": Row(
        "POST",
        {
            "own": "302 302 302 302 404 L 302 L",
            "foreign": FOREIGN.replace("200", "302"),
        },
        member_id,
        body=lambda world, variant: {"role": "viewer"},
    ),
    "workspaces:remove": Row(
        "POST",
        {
            "own": "302 302 302 302 404 L 302 L",
            "foreign": FOREIGN.replace("200", "302"),
        },
        member_id,
    ),
    # Only admins revoke (others are told no after a redirect); an invitation of
    # another workspace is a 404 like any id that does not exist.
    "workspaces:revoke_invitation": Row(
        "POST",
        {
            "own": "302 302 302 302 404 L 302 L",
            "foreign": FOREIGN.replace("200", "302"),
        },
        invitation_id,
    ),
    # The invitation's token is the key, also signed out (the page offers
    # sign-up and log-in); accepting checks the e-mail address; a revoked
    # invitation answers 410 Gone with the reason.
    "workspaces:accept": Row(
        "GET",
        {
            "own": ALL_200,
            "foreign": ALL_200,
            "revoked": "410 410 410 410 410 410 410 410",
        },
        invitation_token,
    ),
    "workspaces:switch": Row(
        "POST",
        {"own": "302 302 302 302 404 L 302 L", "foreign": redirect(FOREIGN)},
        body=workspace_body,
    ),
    # Published links: the token is the only key, for anyone holding it.
    "published:dashboard": Row(
        "GET", {"own": ALL_200, "foreign": ALL_200, "revoked": ALL_404}, link_token
    ),
    "published:klip_data": Row(
        "GET",
        {
            "own": ALL_200,
            "foreign": ALL_200,
            "mismatched": ALL_404,
            "revoked": ALL_404,
        },
        link_and_klip,
    ),
    "api:tokens": Row("GET", {"own": SIGNED_IN}),
    "api:token_revoke": Row(
        "POST", {"own": redirect(MANAGE), "foreign": redirect(FOREIGN)}, api_token_id
    ),
    "api:source_list": Row("GET", {"own": API_ALL}, api=True),
    "api:dashboard_list": Row("GET", {"own": API_ALL}, api=True),
    "api:source_refresh": Row(
        "POST",
        {"own": accepted(API_VIEW), "foreign": accepted(API_FOREIGN)},
        source_id,
        api=True,
    ),
    "api:source_rows": Row(
        "GET", {"own": API_VIEW, "foreign": API_FOREIGN}, source_id, api=True
    ),
    "api:klip_result": Row(
        "GET",
        {"own": API_VIEW, "foreign": API_FOREIGN, "mismatched": API_NOBODY},
        dashboard_and_klip,
        api=True,
    ),
}


# The project's URL patterns -----------------------------------------------------


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            if pattern.namespace and namespace:
                inner = f"{namespace}:{pattern.namespace}"
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or prefix + str(pattern.pattern)
            yield (
                prefix + str(pattern.pattern),
                (f"{namespace}:{name}" if namespace else name),
                pattern.callback,
            )


def project_url_names() -> set[str]:
    """Every named pattern but admin/ and allauth's own account pages."""
    names = set()
    for route, name, callback in _walk(get_resolver().url_patterns):
        if route.startswith("admin/"):
            continue
        if route.startswith("accounts/") and callback.__module__.startswith("allauth"):
            continue
        names.add(name)
    return names


def test_every_url_pattern_has_a_row():
    names = project_url_names()

    assert sorted(names - set(MATRIX)) == [], "URL patterns without a matrix row"
    assert sorted(set(MATRIX) - names) == [], "matrix rows without a URL pattern"


# Running a cell -----------------------------------------------------------------


def _workspace_of(world: World, persona: str):
    return world.foreign.workspace if persona == "X" else world.mine.workspace


def _user_of(world: World, persona: str):
    return {
        "O": world.owner,
        "E": world.editor,
        "V": world.viewer,
        "M": world.member,
        "X": world.outsider,
        "R": world.revoked,
    }.get(persona)


def _client(world: World, persona: str, row: Row):
    user = _user_of(world, persona)
    if row.api:
        client = APIClient()
        if user is not None:
            _, key = create_token(user, _workspace_of(world, persona))
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    client = Client()
    if user is not None:
        client.force_login(user)
        session = client.session
        session[SESSION_KEY] = _workspace_of(world, persona).pk
        session.save()
    elif persona == "P":
        client.get(reverse("published:dashboard", args=[world.mine.link.token]))
    return client


def _call(world: World, row: Row, name: str, variant: str, persona: str):
    kwargs = row.ids(world, variant) if row.ids else {}
    url = reverse(name, kwargs=kwargs)
    client = _client(world, persona, row)
    query = row.query(world, variant) if row.query else None
    if row.method == "GET":
        return client.get(url, query)

    body = row.body(world, variant) if row.body else {}
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    if row.as_json:
        return client.post(url, body, content_type="application/json")
    return client.post(url, body)


def _outcome(response) -> str:
    location = response.get("Location", "")
    if response.status_code == 302 and location.startswith(reverse("account_login")):
        return "L"
    return str(response.status_code)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access_matrix(name, db, isolated_storage):
    row = MATRIX[name]
    world = build_world()
    mismatches = []

    with responses.RequestsMock(assert_all_requests_are_fired=False):
        for variant, expected in row.expect.items():
            cells = expected.split()
            assert len(cells) == len(PERSONAS), f"{name} {variant}: 8 cells"
            for persona, want in zip(PERSONAS, cells, strict=True):
                with transaction.atomic():
                    got = _outcome(_call(world, row, name, variant, persona))
                    transaction.set_rollback(True)
                if got != want:
                    mismatches.append(
                        f"{variant} {persona}: expected {want}, got {got}"
                    )

    assert mismatches == []
