"""What the connection views do: OAuth state, connecting, renaming, deleting."""

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from connectors.harvest import tokens
from connectors.harvest.client import HarvestClient
from connectors.harvest.errors import HarvestError
from connectors.harvest.tokens import TokenSet
from connectors.models import Connection
from connectors.ratelimit import interactive_limiter
from workspaces.actions import record

logger = logging.getLogger(__name__)

PENDING_STATES_KEY = "harvest_oauth_states"
STATE_LIFETIME_SECONDS = 10 * 60
MAX_PENDING_STATES = 5


class OAuthRefused(HarvestError):
    """The OAuth round-trip cannot go on (denied, unknown or stale state)."""


class NoHarvestAccount(HarvestError):
    default_message = (
        "This Harvest login reaches no Harvest account (only Forecast, or none), "
        "so there is nothing HarvestDash can read. Sign in with a login that "
        "belongs to a Harvest account."
    )


@dataclass(frozen=True)
class PendingOAuth:
    next_path: str
    reconnect_id: int | None


@dataclass(frozen=True)
class HarvestIdentity:
    identity_id: int | None
    accounts: list[dict]
    first_name: str
    last_name: str
    email: str
    time_zone: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email


# OAuth round-trip -------------------------------------------------------------


def callback_url() -> str:
    """The redirect URI registered with Harvest: SITE_URL, never the Host header."""
    return settings.SITE_URL + reverse("connectors:oauth_callback")


def safe_next_path(request: HttpRequest, candidate: str | None) -> str:
    """A same-origin path to return to, or the connection list."""
    fallback = reverse("connectors:connection_list")
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return fallback
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=False
    ):
        return fallback
    return candidate


def start_oauth(
    request: HttpRequest, next_path: str, reconnect_id: int | None = None
) -> str:
    """Remember a fresh state in the session; return Harvest's consent URL."""
    if not settings.HARVEST_CLIENT_ID or not settings.HARVEST_CLIENT_SECRET:
        raise OAuthRefused(
            "Connecting through Harvest sign-in is not set up on this server "
            "(HARVEST_CLIENT_ID / HARVEST_CLIENT_SECRET). Use a personal access "
            "token instead, or ask an administrator."
        )
    state = secrets.token_urlsafe(32)  # 256 bits
    pending = _live_states(request)
    pending[state] = {
        "at": time.time(),
        "next": next_path,
        "reconnect": reconnect_id,
    }
    # A user who opens several tabs keeps a few pending; more is abuse.
    newest = sorted(pending.items(), key=lambda item: item[1]["at"])
    request.session[PENDING_STATES_KEY] = dict(newest[-MAX_PENDING_STATES:])
    return tokens.authorization_url(state, callback_url())


def take_state(request: HttpRequest, state: str) -> PendingOAuth:
    """Consume the state from this session (single use) or refuse."""
    pending = request.session.get(PENDING_STATES_KEY, {})
    match = next((s for s in pending if secrets.compare_digest(s, state)), None)
    entry = pending.pop(match, None) if match else None
    request.session[PENDING_STATES_KEY] = pending

    if entry is None:
        raise OAuthRefused(
            "This Harvest sign-in could not be matched to one you started here "
            "(it was already used, or started in another browser). "
            "Nothing was connected; please start again."
        )
    if time.time() - entry["at"] > STATE_LIFETIME_SECONDS:
        raise OAuthRefused(
            "This Harvest sign-in took longer than 10 minutes and expired. "
            "Nothing was connected; please start again."
        )
    return PendingOAuth(entry["next"], entry["reconnect"])


def discard_state(request: HttpRequest, state: str) -> None:
    """Consume a state without using it (consent denied), so it cannot replay."""
    try:
        take_state(request, state)
    except OAuthRefused:
        return


def consent_error_message(error: str) -> str:
    if error == "access_denied":
        return (
            "You declined access in Harvest, so nothing was connected. "
            "Connect again whenever you are ready."
        )
    code = error if error.replace("_", "").isalnum() and len(error) <= 40 else ""
    return (
        f"Harvest could not complete the sign-in ({code or 'unknown error'}); "
        "nothing was connected. Please try again."
    )


def _live_states(request: HttpRequest) -> dict:
    now = time.time()
    pending = request.session.get(PENDING_STATES_KEY, {})
    return {
        state: entry
        for state, entry in pending.items()
        if now - entry["at"] <= STATE_LIFETIME_SECONDS
    }


# Identity and connections -----------------------------------------------------


def identify(access_token: str, auth_kind: str) -> HarvestIdentity:
    """Who the token belongs to, from the accounts endpoint and /v2/users/me."""
    probe = Connection(auth_kind=auth_kind, access_token=access_token)
    answer = HarvestClient(probe, limiter=interactive_limiter()).identity()
    accounts = [account.model_dump() for account in answer.accounts]
    harvest_ids = [a["id"] for a in accounts if a["product"] == "harvest"]
    if not harvest_ids:
        raise NoHarvestAccount()

    probe.accounts = accounts
    me = HarvestClient(
        probe, account_id=harvest_ids[0], limiter=interactive_limiter()
    ).me()
    return HarvestIdentity(
        identity_id=answer.user.id if answer.user else None,
        accounts=accounts,
        first_name=me["first_name"],
        last_name=me["last_name"],
        email=me["email"],
        time_zone=me.get("timezone") or "",
    )


def default_name(identity: HarvestIdentity, at: datetime) -> str:
    """ "Dana Reyes@Harvest 2026-12-03 16:40", the time in UTC."""
    return f"{identity.full_name}@Harvest {at.astimezone(UTC):%Y-%m-%d %H:%M}"


def unused_name(owner, workspace, name: str) -> str:
    """`name`, or "name (2)", "name (3)"... when the owner already has it there:
    an OAuth login and a token made in the same minute were two identical
    entries in every connection picker."""
    taken = set(
        Connection.objects.filter(
            owner=owner, workspace=workspace, name__startswith=name
        ).values_list("name", flat=True)
    )
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name} ({number})"
    return candidate


def create_connection(
    owner,
    workspace,
    auth_kind: str,
    token_set: TokenSet,
    identity: HarvestIdentity,
) -> Connection:
    connection = Connection.objects.create(
        workspace=workspace,
        owner=owner,
        name=unused_name(owner, workspace, default_name(identity, timezone.now())),
        auth_kind=auth_kind,
        access_token=token_set.access_token,
        refresh_token=token_set.refresh_token,
        expires_at=token_set.expires_at,
        # identify() just used the token (on an unsaved probe, so nothing was
        # recorded); "never" right after connecting would be wrong.
        last_used_at=timezone.now(),
        **_identity_fields(identity),
    )
    logger.info(
        "connection created connection=%s workspace=%s kind=%s accounts=%s",
        connection.pk,
        workspace.pk,
        auth_kind,
        len(identity.accounts),
    )
    record(
        workspace,
        owner,
        "connection.created",
        _audit_target(connection),
        kind=auth_kind,
    )
    return connection


def _audit_target(connection: Connection) -> str:
    return f"connection {connection.pk} “{connection.name}”"


def reconnect_connection(
    connection: Connection, token_set: TokenSet, identity: HarvestIdentity
) -> Connection:
    """New tokens for an existing connection; its data sources keep using it."""
    known = connection.harvest_identity_id
    if known and identity.identity_id and known != identity.identity_id:
        raise OAuthRefused(
            f"You signed in to Harvest as {identity.full_name}, but this "
            "connection belongs to another Harvest login. Sign in as that user, "
            "or create a new connection instead."
        )

    with transaction.atomic():
        for name, value in _identity_fields(identity).items():
            setattr(connection, name, value)
        # Reconnecting always goes through OAuth, also for a former PAT.
        connection.auth_kind = Connection.AuthKind.OAUTH
        connection.save()
        tokens.save_tokens(connection, token_set)
    record(
        connection.workspace,
        connection.owner,
        "connection.reconnected",
        _audit_target(connection),
    )
    logger.info("connection reconnected connection=%s", connection.pk)
    return connection


def _identity_fields(identity: HarvestIdentity) -> dict:
    return {
        "harvest_identity_id": identity.identity_id,
        "harvest_user_name": identity.full_name,
        "harvest_user_email": identity.email,
        "harvest_time_zone": identity.time_zone,
        "accounts": identity.accounts,
    }


def connect_with_code(
    request: HttpRequest, code: str, pending: PendingOAuth
) -> Connection:
    """Finish the OAuth round-trip: exchange, identify, create or reconnect."""
    if not code:
        raise OAuthRefused("Harvest sent no authorization code; nothing was connected.")
    token_set = tokens.exchange_code(code, callback_url())
    identity = identify(token_set.access_token, Connection.AuthKind.OAUTH)
    if pending.reconnect_id is not None:
        connection = Connection.objects.filter(
            pk=pending.reconnect_id, owner=request.user, workspace=request.workspace
        ).first()
        if connection is None:
            raise OAuthRefused(
                "The connection you were reconnecting no longer exists; "
                "nothing was changed."
            )
        return reconnect_connection(connection, token_set, identity)
    return create_connection(
        request.user, request.workspace, Connection.AuthKind.OAUTH, token_set, identity
    )


def connect_personal_token(request: HttpRequest, token: str) -> Connection:
    identity = identify(token, Connection.AuthKind.PERSONAL_TOKEN)
    token_set = TokenSet(access_token=token, refresh_token="", expires_at=None)
    return create_connection(
        request.user,
        request.workspace,
        Connection.AuthKind.PERSONAL_TOKEN,
        token_set,
        identity,
    )


# Housekeeping -----------------------------------------------------------------


def rename_connection(connection: Connection, name: str) -> None:
    old_name = connection.name
    connection.name = name
    connection.save(update_fields=["name"])
    # Only the owner reaches a connection (connectors/access.py), so they acted.
    record(
        connection.workspace,
        connection.owner,
        "connection.renamed",
        _audit_target(connection),
        old_name=old_name,
    )
    logger.info("connection renamed connection=%s", connection.pk)


def delete_connection(connection: Connection, actor=None, reason: str = "") -> int:
    """Delete it; its data sources stay, without a connection. Returns their count.

    actor: who caused it when not the owner (an admin removing them)."""
    orphaned = connection.data_sources.count()
    connection_id = connection.pk
    detail = {"orphaned_sources": orphaned, **({"reason": reason} if reason else {})}
    record(
        connection.workspace,
        actor or connection.owner,
        "connection.deleted",
        _audit_target(connection),
        **detail,
    )
    connection.delete()
    logger.info(
        "connection deleted connection=%s orphaned_sources=%s", connection_id, orphaned
    )
    return orphaned


def refresh_accounts(connection: Connection) -> list[dict]:
    """Harvest-product accounts, fetched live and cached on the row."""
    accounts = HarvestClient(connection, limiter=interactive_limiter()).accounts()
    connection.accounts = accounts
    connection.save(update_fields=["accounts"])
    return [a for a in accounts if a["product"] == "harvest"]


def connection_health(connection: Connection) -> str:
    """ "ok", "expiring" (OAuth, refresh due) or "needs_reconnect"."""
    if connection.needs_reconnect:
        return "needs_reconnect"
    if tokens.needs_refresh(connection):
        return "expiring"
    return "ok"
