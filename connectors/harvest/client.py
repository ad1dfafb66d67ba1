"""The one way HarvestDash talks to Harvest: one session, typed answers.

Every request goes through `HarvestClient._fetch`, which checks the URL against
the configured Harvest origins before a token is attached, waits for the shared
rate limiter, never follows redirects, caps the response size, retries server
errors with backoff, honours Retry-After and refreshes an expired OAuth token
once.

Reference: https://help.getharvest.com/api-v2/introduction/overview/general/
"""

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import requests
from django.conf import settings
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, ValidationError
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from connectors.harvest import tokens
from connectors.harvest.errors import (
    AccountUnreachable,
    BadRequest,
    Forbidden,
    HarvestError,
    HarvestUnavailable,
    MalformedResponse,
    NotFound,
    Throttled,
    TokenInvalid,
    TooLarge,
)
from connectors.harvest.origins import Origin, api_origin, id_origin, origin_of
from connectors.models import Connection
from connectors.ratelimit import HarvestRateLimiter, bucket_for_path, shared_limiter

logger = logging.getLogger(__name__)

MAX_PER_PAGE = 2000
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
MAX_ATTEMPTS = 4
MAX_THROTTLED_RETRIES = 5
# When Retry-After is missing or unreadable: the length of the limit's window.
FALLBACK_RETRY_AFTER = {"general": 15, "reports": 15 * 60}
OBJECT_ENDPOINTS = {"/v2/company", "/v2/users/me"}
ACCOUNTS_PATH = "/api/v2/accounts"
LAST_USED_EVERY = timedelta(minutes=1)

ModelT = TypeVar("ModelT", bound=BaseModel)


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Links(_Model):
    next: str | None = None


class Envelope(_Model):
    per_page: int | None = None
    total_pages: int | None = None
    total_entries: int | None = None
    page: int | None = None
    next_page: int | None = None
    links: Links


class Account(_Model):
    id: int
    name: str
    product: str


class IdentityUser(_Model):
    id: int
    first_name: str = ""
    last_name: str = ""
    email: str = ""


class AccountsAnswer(_Model):
    user: IdentityUser | None = None
    accounts: list[Account]


class Me(_Model):
    id: int
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    timezone: str | None = None


@dataclass
class Page:
    records: list[dict]
    resource_key: str | None
    number: int
    total_pages: int | None
    total_entries: int | None
    url: str
    byte_size: int
    requests: int


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    attempts: int = 1
    data: dict = field(default_factory=dict)


class _Transient(Exception):
    """A failure worth retrying: 5xx, timeout, dropped connection."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HarvestClient:
    """Reads Harvest for one connection (and one Harvest account on the API)."""

    max_attempts = MAX_ATTEMPTS
    backoff_seconds = 1.0
    max_response_bytes = MAX_RESPONSE_BYTES

    def __init__(
        self,
        connection: Connection,
        account_id: int | None = None,
        *,
        limiter: HarvestRateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.connection = connection
        self.account_id = account_id or _first_harvest_account(connection)
        self.limiter = limiter or shared_limiter()
        self.sleep = sleep
        self.session = requests.Session()
        # Proxies and .netrc from the environment could redirect traffic or
        # replace our Authorization header.
        self.session.trust_env = False
        self.session.headers["User-Agent"] = tokens.user_agent()
        self.session.headers["Accept"] = "application/json"
        self._last_used_saved_at = None

    # Endpoints -----------------------------------------------------------

    def accounts(self) -> list[dict]:
        """Every account the token reaches, Harvest and Forecast alike."""
        return [account.model_dump() for account in self.identity().accounts]

    def identity(self) -> AccountsAnswer:
        """The Harvest ID user and accounts behind the token (id side)."""
        # Reference: https://help.getharvest.com/api-v2/authentication-api/authentication/authentication/
        answer = self._fetch(id_origin().url_for(ACCOUNTS_PATH))
        return _parse(AccountsAnswer, answer.data, "the accounts list")

    def me(self) -> dict:
        data = self.get("/v2/users/me")
        return _parse(Me, data, "/v2/users/me").model_dump()

    def company(self) -> dict:
        return self.get("/v2/company")

    def get(self, path_or_url: str, params: dict | None = None) -> dict:
        url = _absolute(path_or_url)
        if params:
            url = _with_params(url, params)
        return self._fetch(url).data

    def iter_pages(self, path_and_query: str) -> Iterator[Page]:
        """Every page of a list, following links.next until it is null."""
        # Reference: https://help.getharvest.com/api-v2/introduction/overview/pagination/
        url: str | None = _with_largest_page(_absolute(path_and_query))
        seen: set[str] = set()
        number = 0
        while url is not None:
            if url in seen:
                raise MalformedResponse(
                    "Harvest sent the same next-page link twice; "
                    "the import stopped to avoid an endless loop."
                )
            seen.add(url)
            number += 1
            answer = self._fetch(url)
            page, url = _page_from(answer, url, number)
            # Neither the body nor the page is held through the next fetch: the
            # caller has the records, and a 2,000-record page is ~10 MB.
            del answer
            yield page
            del page

    # The request path ------------------------------------------------------

    def _fetch(self, url: str) -> _Answer:
        origin = origin_of(url)
        path = origin.path_of(url)
        endpoint = urlsplit(path).path
        refreshed = False
        throttled = 0
        attempts = 0
        tokens.ensure_fresh(self.connection)

        while True:
            answer = self._send_with_retries(url, origin, path, endpoint)
            attempts += answer.attempts
            if answer.status == 429:
                throttled += 1
                self._wait_after_429(answer, path, endpoint, throttled)
                continue
            if answer.status == 401 and not refreshed:
                if origin == api_origin():
                    self._check_account_after_401(endpoint)
                self._refresh_after_401(endpoint)
                refreshed = True
                continue

            _raise_for_status(answer, endpoint)
            answer.data = _json_object(answer, endpoint)
            answer.attempts = attempts
            self._mark_used()
            return answer

    def _send_with_retries(
        self, url: str, origin: Origin, path: str, endpoint: str
    ) -> _Answer:
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential(multiplier=self.backoff_seconds, max=30),
            retry=retry_if_exception_type(_Transient),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    answer = self._send_once(url, origin, path, endpoint)
                    answer.attempts = attempt.retry_state.attempt_number
        except _Transient as failure:
            raise HarvestUnavailable(
                f"Harvest did not answer {endpoint} after {self.max_attempts} "
                f"attempts ({failure.reason}). Try again in a few minutes."
            ) from None
        return answer

    def _send_once(self, url: str, origin: Origin, path: str, endpoint: str) -> _Answer:
        token = self.connection.access_token
        headers = {"Authorization": f"Bearer {token}"}
        account_id = None
        if origin == api_origin():
            account_id = self._require_account_id()
            headers["Harvest-Account-Id"] = str(account_id)

        self.limiter.acquire(path, token, account_id)
        try:
            response = self.session.get(
                url,
                headers=headers,
                timeout=settings.HARVEST_TIMEOUT_SECONDS,
                allow_redirects=False,
                stream=True,
            )
            with response:
                body = self._read_capped(response, endpoint)
        except requests.Timeout:
            raise _Transient("timed out") from None
        except requests.RequestException as error:
            raise _Transient(type(error).__name__) from None

        logger.debug(
            "harvest request connection=%s endpoint=%s status=%s bytes=%s",
            self.connection.pk,
            endpoint,
            response.status_code,
            len(body),
        )
        if response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code}")
        return _Answer(response.status_code, dict(response.headers), body)

    def _read_capped(self, response: requests.Response, endpoint: str) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise TooLarge(_too_large_message(endpoint, self.max_response_bytes))

        chunks = []
        size = 0
        for chunk in response.iter_content(chunk_size=256 * 1024):
            size += len(chunk)
            if size > self.max_response_bytes:
                raise TooLarge(_too_large_message(endpoint, self.max_response_bytes))
            chunks.append(chunk)
        return b"".join(chunks)

    def _wait_after_429(
        self, answer: _Answer, path: str, endpoint: str, throttled: int
    ) -> None:
        seconds = _retry_after(answer, path)
        if throttled > MAX_THROTTLED_RETRIES:
            raise Throttled(
                f"Harvest kept throttling {endpoint}; try again in a few minutes.",
                retry_after=seconds,
            )

        logger.info(
            "harvest throttled connection=%s endpoint=%s retry_after=%s",
            self.connection.pk,
            endpoint,
            seconds,
        )
        # The limiter does the sleeping: the next acquire() on this token, in
        # this worker or any other, waits until the block has passed.
        self.limiter.block(self.connection.access_token, seconds)

    def _check_account_after_401(self, endpoint: str) -> None:
        """Raise AccountUnreachable when the 401 is about the account, not the token.

        Harvest answers 401 both for a refused token and for an account id the
        token cannot reach (REFERENCE.md §2.1, §9.1). Harvest ID's accounts
        endpoint takes no account id: if it accepts the token, the token is
        fine, and neither a refresh nor "needs reconnecting" would help.
        """
        accounts = self._accounts_if_token_accepted()
        if accounts is None:
            return

        self._remember_accounts(accounts)
        reachable = [a for a in accounts if a["product"] == "harvest"]
        logger.warning(
            "harvest 401 with an accepted token connection=%s endpoint=%s "
            "account=%s reachable=%s",
            self.connection.pk,
            endpoint,
            self.account_id,
            len(reachable),
        )
        raise AccountUnreachable(_unreachable_message(self.account_id, reachable))

    def _accounts_if_token_accepted(self) -> list[dict] | None:
        """The token's accounts from Harvest ID; None if ID refuses it too, or
        cannot be asked (then the 401 is taken at its word, as before)."""
        url = id_origin().url_for(ACCOUNTS_PATH)
        throttled = 0
        while True:
            try:
                answer = self._send_once(url, id_origin(), ACCOUNTS_PATH, ACCOUNTS_PATH)
            except _Transient as failure:
                logger.info(
                    "harvest account check failed connection=%s reason=%s",
                    self.connection.pk,
                    failure.reason,
                )
                return None
            if answer.status != 429:
                break
            # A throttled check says nothing about the token: wait, ask again.
            throttled += 1
            self._wait_after_429(answer, ACCOUNTS_PATH, ACCOUNTS_PATH, throttled)

        if answer.status != 200:
            return None
        try:
            identity = _parse(
                AccountsAnswer, _json_object(answer, ACCOUNTS_PATH), "the accounts list"
            )
        except MalformedResponse:
            return None
        return [account.model_dump() for account in identity.accounts]

    def _remember_accounts(self, accounts: list[dict]) -> None:
        """Keep the row's account list current, so pickers offer what works."""
        self.connection.accounts = accounts
        if self.connection.pk is not None:
            Connection.objects.filter(pk=self.connection.pk).update(accounts=accounts)

    def _refresh_after_401(self, endpoint: str) -> None:
        logger.info(
            "harvest 401 connection=%s endpoint=%s", self.connection.pk, endpoint
        )
        if self.connection.pk is None:
            # A connection being created (OAuth callback, PAT form): nothing to
            # refresh or mark, the user simply has to try again.
            raise TokenInvalid("Harvest did not accept the token.")
        tokens.refresh(self.connection, stale_access_token=self.connection.access_token)

    def _require_account_id(self) -> int:
        if self.account_id is None:
            raise BadRequest(
                "This connection reaches no Harvest account; "
                "reconnect with a login that has one."
            )
        return self.account_id

    def _mark_used(self) -> None:
        now = timezone.now()
        recently = self._last_used_saved_at and now - self._last_used_saved_at < (
            LAST_USED_EVERY
        )
        if self.connection.pk is None or recently:
            return
        self.connection.last_used_at = now
        Connection.objects.filter(pk=self.connection.pk).update(last_used_at=now)
        self._last_used_saved_at = now


# Parsing at the edge ---------------------------------------------------------


def _unreachable_message(account_id: int | None, reachable: list[dict]) -> str:
    if not reachable:
        return (
            "This connection's Harvest login works, but it reaches no Harvest "
            f"account any more (account {account_id} refused it). Reconnect with "
            "a Harvest login that belongs to the account."
        )
    names = ", ".join(f"{a['name']} ({a['id']})" for a in reachable)
    if any(a["id"] == account_id for a in reachable):
        return (
            f"Harvest refused account {account_id} although this connection's "
            "login belongs to it; this is usually brief. Try again in a few "
            "minutes."
        )
    return (
        "This connection's Harvest login works, but it cannot reach Harvest "
        f"account {account_id}; it reaches {names}. Use one of those accounts, "
        f"or a connection whose Harvest login belongs to account {account_id}."
    )


def _raise_for_status(answer: _Answer, endpoint: str) -> None:
    status = answer.status
    if 200 <= status < 300:
        return
    if status == 401:
        raise TokenInvalid()
    if 300 <= status < 400:
        raise MalformedResponse(
            f"Harvest answered {endpoint} with a redirect (HTTP {status}); "
            "HarvestDash never follows redirects with a token."
        )
    if status == 403:
        raise Forbidden(f"Your Harvest role cannot read {endpoint}.")
    if status == 404:
        raise NotFound(f"Harvest has no {endpoint} for this account.")
    if status in {400, 422}:
        raise BadRequest(f"Harvest refused {endpoint}: {_error_text(answer)}")
    raise HarvestUnavailable(f"Harvest answered {endpoint} with HTTP {status}.")


def _error_text(answer: _Answer) -> str:
    try:
        data = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        return "no reason given."
    if not isinstance(data, dict):
        return "no reason given."
    reason = data.get("message") or data.get("error_description") or data.get("error")
    return str(reason)[:200] if reason else "no reason given."


def _json_object(answer: _Answer, endpoint: str) -> dict:
    if answer.body.lstrip()[:1] == b"<":
        raise MalformedResponse(
            f"Harvest answered {endpoint} with a web page instead of data."
        )
    try:
        data = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        raise MalformedResponse(
            f"Harvest's answer to {endpoint} is not valid JSON (it may have been "
            "cut off)."
        ) from None
    if not isinstance(data, dict):
        raise MalformedResponse(f"Harvest's answer to {endpoint} is not an object.")
    if b"\\u0000" in answer.body:
        data = _without_nul(data)
    return data


def _without_nul(value):
    """NUL characters removed from every string: PostgreSQL text and jsonb cannot
    hold U+0000, and no Harvest name needs one (the rule is in the README)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _parse(model: type[ModelT], data: dict, endpoint: str) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields = ", ".join(
            ".".join(str(part) for part in issue["loc"]) for issue in error.errors()[:3]
        )
        raise MalformedResponse(
            f"Harvest's answer to {endpoint} is missing or mistyped: {fields}."
        ) from None


def _page_from(answer: _Answer, url: str, number: int) -> tuple[Page, str | None]:
    data = answer.data
    endpoint = urlsplit(url).path
    list_keys = [k for k, v in data.items() if isinstance(v, list)]
    # An object (/v2/users/me has a "roles" list) carries no paging envelope.
    if "links" not in data and ("per_page" not in data or not list_keys):
        page = Page([data], None, number, 1, 1, url, len(answer.body), answer.attempts)
        return page, None

    envelope = _parse(Envelope, data, endpoint)
    if len(list_keys) != 1:
        raise MalformedResponse(
            f"Harvest's answer to {endpoint} has {len(list_keys)} lists of records "
            "instead of one."
        )
    resource_key = list_keys[0]
    records = data[resource_key]
    if not all(isinstance(record, dict) for record in records):
        raise MalformedResponse(f"Harvest's {resource_key} records are not objects.")

    page = Page(
        records=records,
        resource_key=resource_key,
        number=number,
        total_pages=envelope.total_pages,
        total_entries=envelope.total_entries,
        url=url,
        byte_size=len(answer.body),
        requests=answer.attempts,
    )
    return page, envelope.links.next


def _retry_after(answer: _Answer, path: str) -> int:
    value = answer.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return int(value)
    return FALLBACK_RETRY_AFTER[bucket_for_path(path)]


def _too_large_message(endpoint: str, limit: int) -> str:
    return (
        f"Harvest's answer to {endpoint} is larger than {limit // (1024 * 1024)} MB; "
        "narrow the query (a shorter date range or a smaller per_page)."
    )


# URLs ---------------------------------------------------------------------------


def _absolute(path_or_url: str) -> str:
    if path_or_url.startswith("/"):
        return api_origin().url_for(path_or_url)
    return path_or_url


def _with_params(url: str, params: dict) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [
        (key, str(value)) for key, value in params.items()
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _with_largest_page(url: str) -> str:
    """Ask for 2000 records a page unless the URL says otherwise (clamped)."""
    parts = urlsplit(url)
    if any(parts.path.endswith(endpoint) for endpoint in OBJECT_ENDPOINTS):
        return url

    query = parse_qsl(parts.query, keep_blank_values=True)
    given = [value for key, value in query if key == "per_page"]
    if given and given[0].isdigit() and int(given[0]) <= MAX_PER_PAGE:
        return url

    query = [(key, value) for key, value in query if key != "per_page"]
    query.append(("per_page", str(MAX_PER_PAGE)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _first_harvest_account(connection: Connection) -> int | None:
    harvest_accounts = connection.harvest_accounts()
    return harvest_accounts[0]["id"] if harvest_accounts else None


__all__ = [
    "HarvestClient",
    "HarvestError",
    "Page",
]
