"""The "id" side: consent page, token endpoint, accounts, and the token registry.

Reference: https://help.getharvest.com/api-v2/authentication-api/authentication/authentication/
"""

import base64
import html
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlencode, urlsplit

from sandbox import catalog
from sandbox.http import (
    Request,
    Response,
    invalid_token,
    json_response,
    oauth_error,
    redirect,
)
from sandbox.http import (
    html as html_response,
)
from sandbox.knobs import Knobs

SCOPE = "harvest:all"


@dataclass
class Grant:
    kind: str  # "oauth" | "pat"
    issued_at: float
    expires_at: float | None


@dataclass
class RefreshGrant:
    issued_at: float
    used: bool = False


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    expires_at: float


class TokenRegistry:
    """Issued codes, access tokens and refresh tokens, all in memory."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self._codes: dict[str, Code] = {}
        self._access: dict[str, Grant] = {}
        self._refresh: dict[str, RefreshGrant] = {}
        self._lock = threading.Lock()

    def new_code(self, client_id: str, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = Code(
                client_id, redirect_uri, time.time() + self.knobs.code_lifetime
            )
        return code

    def take_code(self, code: str, client_id: str) -> Code | None:
        """A code works once, before it expires, for the client it was issued to."""
        with self._lock:
            found = self._codes.pop(code, None)
        if found is None or found.expires_at < time.time():
            return None
        return found if found.client_id == client_id else None

    def issue(self) -> dict:
        now = time.time()
        prefix = catalog.HARVEST_ACCOUNT_ID
        access = f"{prefix}.at.{secrets.token_urlsafe(32)}"
        refresh = f"{prefix}.rt.{secrets.token_urlsafe(32)}"
        with self._lock:
            self._access[access] = Grant("oauth", now, now + self.knobs.token_lifetime)
            self._refresh[refresh] = RefreshGrant(now)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": self.knobs.token_lifetime,
        }

    def refresh(self, refresh_token: str) -> dict | None:
        """New tokens for a live refresh token; rotation spends the old one."""
        with self._lock:
            grant = self._refresh.get(refresh_token)
            if grant is None or grant.used:
                return None
            if grant.issued_at < self.knobs.refresh_invalid_before:
                return None
            if self.knobs.rotate_refresh_tokens:
                grant.used = True
        tokens = self.issue()
        if not self.knobs.rotate_refresh_tokens:
            with self._lock:
                self._refresh.pop(tokens["refresh_token"], None)
            tokens["refresh_token"] = refresh_token
        return tokens

    def check(self, token: str | None) -> Grant | None:
        """The grant behind a bearer token, or None when it is not valid now."""
        if not token:
            return None
        if self.knobs.pat and secrets.compare_digest(token, self.knobs.pat):
            return Grant("pat", 0.0, None)
        grant = self._access.get(token)
        if grant is None:
            return None
        if grant.issued_at < self.knobs.tokens_invalid_before:
            return None
        if grant.expires_at is not None and grant.expires_at < time.time():
            return None
        return grant

    def expire_all(self) -> None:
        self.knobs.tokens_invalid_before = time.time() + 1e-6

    def revoke_refresh_tokens(self) -> None:
        self.knobs.refresh_invalid_before = time.time() + 1e-6


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query.get("access_token") or None


def accounts_payload(knobs: Knobs) -> dict:
    harvest = {
        "id": catalog.HARVEST_ACCOUNT_ID,
        "name": catalog.ACCOUNT_NAME,
        "product": "harvest",
    }
    forecast = {
        "id": catalog.FORECAST_ACCOUNT_ID,
        "name": catalog.ACCOUNT_NAME,
        "product": "forecast",
    }
    listed = {
        "both": [forecast, harvest],
        "forecast_only": [forecast],
        "harvest_only": [harvest],
        "none": [],
    }.get(knobs.accounts, [forecast, harvest])
    maya = catalog.USERS[0]
    return {
        "user": {
            "id": catalog.IDENTITY_USER_ID,
            "first_name": maya.first_name,
            "last_name": maya.last_name,
            "email": maya.email,
        },
        "accounts": listed,
    }


def harvest_account_reachable(knobs: Knobs, account_id: int | None) -> bool:
    return account_id == catalog.HARVEST_ACCOUNT_ID and knobs.accounts in (
        "both",
        "harvest_only",
    )


class IdSide:
    """Handlers under /id."""

    def __init__(self, knobs: Knobs, tokens: TokenRegistry) -> None:
        self.knobs = knobs
        self.tokens = tokens

    def _redirect_target(self, requested: str | None) -> str | None:
        prefixes = self.knobs.redirect_prefixes
        if not requested:
            return prefixes[0] + self.knobs.callback_path if prefixes else None
        if any(requested.startswith(prefix) for prefix in prefixes):
            return requested
        return None

    def authorize(self, request: Request) -> Response:
        values = request.query if request.method == "GET" else request.form()
        problem = self._authorize_problem(values)
        if problem:
            return html_response(_error_page(problem), 400)

        target = self._redirect_target(values.get("redirect_uri"))
        if request.method == "GET":
            return html_response(_consent_page(values, self.knobs))
        if values.get("decision") != "approve":
            return redirect(
                _with_query(
                    target, error="access_denied", state=values.get("state", "")
                )
            )
        code = self.tokens.new_code(values["client_id"], target or "")
        return redirect(
            _with_query(target, code=code, scope=SCOPE, state=values.get("state", ""))
        )

    def _authorize_problem(self, values: dict[str, str]) -> str | None:
        if values.get("client_id") != self.knobs.client_id:
            return "Unknown client_id: no OAuth2 application is registered under it."
        if values.get("response_type") != "code":
            return "response_type must be 'code'."
        if self._redirect_target(values.get("redirect_uri")) is None:
            return "redirect_uri does not start with the application's redirect URL."
        return None

    def token(self, request: Request) -> Response:
        form = {**_basic_credentials(request), **request.form()}
        if form.get("client_id") != self.knobs.client_id or not secrets.compare_digest(
            form.get("client_secret", ""), self.knobs.client_secret
        ):
            return oauth_error("invalid_client", "Client authentication failed.", 401)

        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            if self.tokens.take_code(form.get("code", ""), form["client_id"]) is None:
                return oauth_error(
                    "invalid_grant",
                    "The authorization code is invalid, expired or already used.",
                )
            return json_response(self.tokens.issue())
        if grant_type == "refresh_token":
            tokens = self.tokens.refresh(form.get("refresh_token", ""))
            if tokens is None:
                return oauth_error(
                    "invalid_grant", "The refresh token is invalid, expired or revoked."
                )
            return json_response(tokens)
        return oauth_error(
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token.",
        )

    def accounts(self, request: Request) -> Response:
        if self.tokens.check(bearer_token(request)) is None:
            return invalid_token()
        return json_response(accounts_payload(self.knobs))


def _basic_credentials(request: Request) -> dict[str, str]:
    """Client credentials sent as HTTP Basic auth (RFC 6749 2.3.1) instead of the body."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return {}
    try:
        decoded = base64.b64decode(value.strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return {}
    client_id, _, client_secret = decoded.partition(":")
    return {
        "client_id": unquote_plus(client_id),
        "client_secret": unquote_plus(client_secret),
    }


def _with_query(url: str | None, **params: str) -> str:
    base = url or "/"
    joiner = "&" if urlsplit(base).query else "?"
    return f"{base}{joiner}{urlencode(params)}"


def _consent_page(values: dict[str, str], knobs: Knobs) -> str:
    maya = catalog.USERS[0]
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in values.items()
        if name in ("client_id", "response_type", "state", "redirect_uri")
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize HarvestDash</title></head>
<body>
<h1>HarvestDash wants to access your Harvest account</h1>
<p>Signed in to the Harvest sandbox as <strong>{html.escape(maya.name)}</strong>
({html.escape(maya.email)}), administrator of
<strong>{html.escape(catalog.ACCOUNT_NAME)}</strong>.</p>
<p>HarvestDash will be able to read and change your Harvest data ({SCOPE}).</p>
<form method="post" action="/id/oauth2/authorize">{hidden}
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
<p><small>Harvest sandbox (client {html.escape(knobs.client_id)})</small></p>
</body></html>"""


def _error_page(problem: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Authorization error</title></head><body><h1>Authorization error</h1>"
        f"<p>{html.escape(problem)}</p></body></html>"
    )
