"""OAuth2 with Harvest ID: the authorization-code exchange and token refresh.

Refresh happens proactively (less than a day left) and after a 401, once for
all workers together: the refresh holds a lock across processes (Redis when
REDIS_URL is set, a file lock otherwise) and re-reads the row after taking it,
because another worker may have refreshed meanwhile and Harvest may rotate the
refresh token, which would make a second refresh with the old one fail.

Reference: https://help.getharvest.com/api-v2/authentication-api/authentication/authentication/
"""

import ipaddress
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from filelock import FileLock, Timeout
from oauthlib.oauth2 import InvalidGrantError, OAuth2Error
from redis import Redis
from redis.exceptions import LockError
from requests import RequestException, Response
from requests_oauthlib import OAuth2Session

from connectors.harvest.errors import HarvestError, HarvestUnavailable, TokenInvalid
from connectors.harvest.logsafety import silence_secret_bearing_loggers
from connectors.harvest.origins import id_origin
from connectors.models import Connection

logger = logging.getLogger(__name__)
silence_secret_bearing_loggers()

AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/api/v2/oauth2/token"  # noqa: S105 - a path, not a secret
REFRESH_MARGIN = timedelta(days=1)
LOCK_WAIT_SECONDS = 90
# Harvest does not document lifetimes; tap-harvest's fallback when a response
# lacks expires_in.
FALLBACK_LIFETIME = timedelta(hours=17)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime | None

    def __repr__(self) -> str:
        # Dataclass reprs end up in tracebacks and debug logs.
        return f"TokenSet(expires_at={self.expires_at!r})"


def user_agent() -> str:
    return f"HarvestDash ({settings.HARVEST_CONTACT})"


def token_url() -> str:
    return id_origin().url_for(TOKEN_PATH)


def authorization_url(state: str, redirect_uri: str) -> str:
    """Where to send the browser to ask the user for consent."""
    session = _oauth_session(state=state, redirect_uri=redirect_uri)
    url, _ = session.authorization_url(id_origin().url_for(AUTHORIZE_PATH))
    return url


def exchange_code(code: str, redirect_uri: str) -> TokenSet:
    """Trade an authorization code for tokens (once; codes are single use)."""
    session = _oauth_session(redirect_uri=redirect_uri)
    with _token_endpoint_errors():
        token = session.fetch_token(
            token_url(),
            code=code,
            client_secret=settings.HARVEST_CLIENT_SECRET,
            include_client_id=True,
            timeout=settings.HARVEST_TIMEOUT_SECONDS,
        )
    return _token_set(token, previous_refresh_token="")


def needs_refresh(connection: Connection) -> bool:
    if connection.auth_kind != Connection.AuthKind.OAUTH or connection.pk is None:
        return False
    if connection.expires_at is None:
        return False
    return connection.expires_at - timezone.now() < REFRESH_MARGIN


def ensure_fresh(connection: Connection) -> None:
    """Refresh ahead of expiry so that requests rarely meet a 401."""
    if needs_refresh(connection):
        refresh(connection)


def refresh(connection: Connection, stale_access_token: str | None = None) -> None:
    """Refresh the connection's tokens, once across all workers.

    With `stale_access_token` (after a 401) the refresh is skipped when the row
    already holds a different token: another worker refreshed it. Without it
    (proactive) the refresh is skipped when the row is no longer expiring.
    """
    if connection.auth_kind != Connection.AuthKind.OAUTH:
        mark_needs_reconnect(connection, "Harvest refused the personal access token.")
        raise TokenInvalid()

    with refresh_lock(connection.pk):
        connection.refresh_from_db()
        if connection.needs_reconnect:
            raise TokenInvalid()
        if _refreshed_meanwhile(connection, stale_access_token):
            logger.info("token refresh skipped connection=%s", connection.pk)
            return

        token_set = _refresh_at_harvest(connection)
        save_tokens(connection, token_set)
        logger.info("token refreshed connection=%s", connection.pk)


def _refreshed_meanwhile(
    connection: Connection, stale_access_token: str | None
) -> bool:
    if stale_access_token is not None:
        return connection.access_token != stale_access_token
    return not needs_refresh(connection)


def _refresh_at_harvest(connection: Connection) -> TokenSet:
    session = _oauth_session()
    try:
        with _token_endpoint_errors():
            token = session.refresh_token(
                token_url(),
                refresh_token=connection.refresh_token,
                client_id=settings.HARVEST_CLIENT_ID,
                client_secret=settings.HARVEST_CLIENT_SECRET,
                timeout=settings.HARVEST_TIMEOUT_SECONDS,
            )
    except TokenInvalid:
        mark_needs_reconnect(
            connection, "Harvest refused to refresh the token (invalid_grant)."
        )
        raise
    return _token_set(token, previous_refresh_token=connection.refresh_token)


def save_tokens(connection: Connection, token_set: TokenSet) -> None:
    """Store new tokens in one UPDATE, and mark the connection healthy again."""
    fields = {
        "access_token": token_set.access_token,
        "refresh_token": token_set.refresh_token,
        "expires_at": token_set.expires_at,
        "status": Connection.Status.OK,
        "status_reason": "",
    }
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(**fields)
    for name, value in fields.items():
        setattr(connection, name, value)


def mark_needs_reconnect(connection: Connection, reason: str) -> None:
    connection.status = Connection.Status.NEEDS_RECONNECT
    connection.status_reason = reason
    if connection.pk is not None:
        Connection.objects.filter(pk=connection.pk).update(
            status=connection.status, status_reason=reason
        )
    logger.warning("connection needs reconnect connection=%s", connection.pk)


@contextmanager
def refresh_lock(connection_id: int) -> Iterator[None]:
    """Held by exactly one worker (on any machine) refreshing this connection."""
    name = f"harvestdash-token-refresh-{connection_id}"
    if settings.REDIS_URL:
        lock = Redis.from_url(settings.REDIS_URL).lock(
            name, timeout=LOCK_WAIT_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS
        )
        if not lock.acquire():
            raise HarvestUnavailable("Another worker is still refreshing the token.")
        try:
            yield
        finally:
            try:
                lock.release()
            except LockError:
                logger.warning("token lock expired connection=%s", connection_id)
        return

    lock_dir = settings.DATA_DIR / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock_dir / f"{name}.lock"), timeout=LOCK_WAIT_SECONDS):
            yield
    except Timeout:
        raise HarvestUnavailable(
            "Another worker is still refreshing the token."
        ) from None


def _token_set(token: dict, previous_refresh_token: str) -> TokenSet:
    expires_in = token.get("expires_in")
    lifetime = timedelta(seconds=int(expires_in)) if expires_in else FALLBACK_LIFETIME
    return TokenSet(
        access_token=token["access_token"],
        # Assume rotation: keep whatever came back, else the one we sent.
        refresh_token=token.get("refresh_token") or previous_refresh_token,
        expires_at=timezone.now() + lifetime,
    )


@contextmanager
def _token_endpoint_errors() -> Iterator[None]:
    """Map the token endpoint's failures onto our errors, without secrets."""
    try:
        yield
    except InvalidGrantError:
        raise TokenInvalid() from None
    except HarvestError:
        raise
    except OAuth2Error as error:
        logger.warning("token endpoint refused error=%s", error.error)
        raise HarvestError(
            "Harvest ID refused HarvestDash's sign-in request "
            f"({error.error}); an administrator should check the OAuth app "
            "settings (HARVEST_CLIENT_ID / HARVEST_CLIENT_SECRET)."
        ) from None
    except RequestException as error:
        logger.warning("token endpoint unreachable error=%s", type(error).__name__)
        raise HarvestUnavailable(
            "Harvest ID could not be reached to sign in; try again in a few minutes."
        ) from None


def _check_token_response(response: Response) -> Response:
    # oauthlib would try to parse a 5xx page as a token and fail with a
    # confusing MissingTokenError; call it what it is: Harvest is down.
    if response.status_code >= 500 or response.status_code in {301, 302, 429}:
        logger.warning("token endpoint status=%s", response.status_code)
        raise HarvestUnavailable(
            f"Harvest ID answered the token request with HTTP "
            f"{response.status_code}; try again in a few minutes."
        )
    return response


def _oauth_session(
    state: str | None = None, redirect_uri: str | None = None
) -> OAuth2Session:
    _allow_http_only_on_loopback()
    session = OAuth2Session(
        settings.HARVEST_CLIENT_ID, state=state, redirect_uri=redirect_uri
    )
    # No proxies or .netrc from the environment, and never follow a redirect
    # with client credentials in the body.
    session.trust_env = False
    session.max_redirects = 0
    session.headers["User-Agent"] = user_agent()
    session.register_compliance_hook("access_token_response", _check_token_response)
    session.register_compliance_hook("refresh_token_response", _check_token_response)
    return session


def _allow_http_only_on_loopback() -> None:
    """oauthlib refuses http:// token URLs; allow it for a local sandbox only."""
    parts = urlsplit(settings.HARVEST_ID_BASE)
    if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    else:
        os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
