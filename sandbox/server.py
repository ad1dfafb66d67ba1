"""The sandbox HTTP server: one process answering like id.getharvest.com (under /id)
and api.harvestapp.com (under /api), plus /_sandbox control endpoints for tests.

Stdlib ThreadingHTTPServer: no dependency, one thread per connection, keep-alive.
"""

import dataclasses
import hashlib
import logging
import random
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson

from sandbox.api import Api
from sandbox.data import Dataset
from sandbox.hostile import HostileNames
from sandbox.http import (
    JSON_TYPE,
    Request,
    Response,
    html,
    invalid_token,
    json_response,
    message,
    not_found,
    oauth_error,
    redirect,
)
from sandbox.knobs import ACTIONS, Knobs
from sandbox.oauth import IdSide, TokenRegistry, bearer_token, harvest_account_reachable
from sandbox.pagination import BadParameter
from sandbox.ratelimit import SlidingWindowLimiter

logger = logging.getLogger(__name__)

SECRET_PARAMS = {"access_token", "code", "client_secret", "refresh_token", "state"}
MAX_LOGGED_REQUESTS = 50_000
MAINTENANCE_PAGE = (
    "<!doctype html><html><head><title>Harvest is down for maintenance</title></head>"
    "<body><h1>We'll be right back</h1><p>Harvest is down for scheduled maintenance."
    "</p></body></html>"
)


@dataclass
class LoggedRequest:
    """One request as tests may inspect it; never holds a token."""

    method: str
    path: str
    query: dict[str, str]  # secret parameters replaced by "[filtered]"
    headers: dict[str, object]  # "Authorization": True/False (was the token valid)
    status: int = 0
    ms: float = 0.0
    at: float = 0.0  # time.time() when the request arrived
    token: str = ""  # a short hash of the bearer token ("" without one), never it


class SandboxApp:
    """State shared by all handler threads: knobs, data, tokens, limits, log."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.initial_knobs = knobs.copy()
        self.tokens = TokenRegistry(knobs)
        self.limiter = SlidingWindowLimiter()
        self.requests: list[LoggedRequest] = []
        self.id_side = IdSide(knobs, self.tokens)
        self.api = Api(self)
        self.hostile_names = HostileNames()
        self._lock = threading.Lock()
        self._random = random.Random(knobs.seed)
        self._dataset_key: tuple | None = None
        self._dataset: Dataset | None = None

    # --------------------------------------------------------------- dataset
    @property
    def dataset(self) -> Dataset:
        key = (self.knobs.seed, self.knobs.entries, self.knobs.today)
        if key != self._dataset_key:
            with self._lock:
                if key != self._dataset_key:
                    self._dataset = Dataset(*key)
                    self._dataset_key = key
                    logger.info(
                        "dataset seed=%s entries=%s today=%s",
                        key[0],
                        key[1],
                        self._dataset.today,
                    )
        return self._dataset  # type: ignore[return-value]

    def reset(self) -> None:
        """Back to the start-up knobs, no overlay, empty limits and request log."""
        with self._lock:
            for item in dataclasses.fields(self.knobs):
                setattr(self.knobs, item.name, getattr(self.initial_knobs, item.name))
            self.knobs.redirect_prefixes = list(self.initial_knobs.redirect_prefixes)
            self.knobs.hostile_names = list(self.initial_knobs.hostile_names)
            self._dataset_key = None
            self.requests.clear()
        self.limiter.reset()
        self.hostile_names.reset()

    # -------------------------------------------------------------- handling
    def handle(self, request: Request, logged: LoggedRequest) -> Response:
        response = self.route(request, logged)
        payloads = self.knobs.hostile_names
        if payloads and _serves_harvest_text(request, response):
            response.body = self.hostile_names.apply(response.body, payloads)
        return response

    def route(self, request: Request, logged: LoggedRequest) -> Response:
        path = request.path
        if path.startswith("/_sandbox/"):
            return self.control(request)

        faulty = path.startswith(self.knobs.fault_path_prefix)
        if faulty:
            early = self.early_faults()
            if early is not None:
                return early

        if path.startswith("/id/"):
            try:
                return self.id_request(request, logged)
            except BadParameter as problem:
                return oauth_error("invalid_request", str(problem))
        if path.startswith("/api/"):
            return self.api_request(request, logged, faulty)
        return not_found()

    def id_request(self, request: Request, logged: LoggedRequest) -> Response:
        sub = request.path.removeprefix("/id")
        if sub == "/oauth2/authorize" and request.method in ("GET", "POST"):
            return self.id_side.authorize(request)
        if sub == "/api/v2/oauth2/token" and request.method == "POST":
            return self.id_side.token(request)
        if sub == "/api/v2/accounts" and request.method == "GET":
            valid = self.tokens.check(bearer_token(request)) is not None
            _flag_auth(logged, request, valid)
            return self.id_side.accounts(request)
        return not_found()

    def api_request(
        self, request: Request, logged: LoggedRequest, faulty: bool
    ) -> Response:
        if not request.headers.get("user-agent"):
            return message(400, "A User-Agent header is required")

        grant = self.tokens.check(bearer_token(request))
        _flag_auth(logged, request, grant is not None)
        account = request.headers.get("harvest-account-id") or request.query.get(
            "account_id"
        )
        account_id = int(account) if account and account.isdigit() else None
        if grant is None or not harvest_account_reachable(self.knobs, account_id):
            return invalid_token()
        request.token, request.account_id = grant, account_id

        throttled = self.rate_limit(request)
        if throttled is not None:
            return throttled
        if faulty:
            late = self.late_faults(request)
            if late is not None:
                return late
        return self.api.dispatch(request, request.path.removeprefix("/api"))

    def rate_limit(self, request: Request) -> Response | None:
        knobs = self.knobs
        reports = request.path.startswith("/api/v2/reports/")
        if knobs.rate_limit_scope == "token":
            key = f"token:{hash(bearer_token(request))}"
        else:
            key = f"account:{request.account_id}"
        limit, window = (
            (knobs.reports_limit, knobs.reports_window)
            if reports
            else (knobs.general_limit, knobs.general_window)
        )
        retry_after = self.limiter.hit(
            "reports" if reports else "general", key, limit, window
        )
        if retry_after is None:
            return None
        return throttled_response(retry_after, reports)

    # ---------------------------------------------------------------- faults
    def _take(self, counter: str) -> bool:
        with self._lock:
            remaining = getattr(self.knobs, counter)
            if remaining > 0:
                setattr(self.knobs, counter, remaining - 1)
                return True
        return False

    def early_faults(self) -> Response | None:
        """Faults that answer before authentication is even looked at."""
        if self.knobs.delay > 0:
            time.sleep(self.knobs.delay)
        if self._take("storm_429"):
            return throttled_response(self.knobs.storm_retry_after, False)
        if self._take("fail_5xx") or (
            self.knobs.fail_5xx_rate > 0
            and self._random.random() < self.knobs.fail_5xx_rate
        ):
            status = self.knobs.fail_5xx_status
            return json_response({"status": status, "error": "Server error"}, status)
        return None

    def late_faults(self, request: Request) -> Response | None:
        if self._take("html_200"):
            return html(MAINTENANCE_PAGE, 200)
        if self._take("redirect_offhost"):
            query = urlencode(request.query)
            target = self.knobs.offhost_base.rstrip("/") + request.path
            return redirect(target + (f"?{query}" if query else ""))
        return None

    def should_truncate(self, request_path: str) -> bool:
        return request_path.startswith(self.knobs.fault_path_prefix) and self._take(
            "truncate_body"
        )

    # --------------------------------------------------------------- control
    def control(self, request: Request) -> Response:
        sub = request.path.removeprefix("/_sandbox")
        if sub == "/knobs" and request.method == "GET":
            return json_response(self.knobs.as_dict())
        if sub == "/knobs" and request.method == "POST":
            return self.set_knobs(request)
        if sub == "/reset" and request.method == "POST":
            self.reset()
            return json_response(self.knobs.as_dict())
        if sub == "/health":
            return json_response({"ok": True})
        return not_found()

    def set_knobs(self, request: Request) -> Response:
        try:
            changes = orjson.loads(request.body or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object")
            actions = {name: changes.pop(name) for name in ACTIONS if name in changes}
            unknown = self.knobs.update(changes)
        except (ValueError, TypeError, orjson.JSONDecodeError) as problem:
            return message(422, f"Bad knobs: {problem}")
        if unknown:
            return message(422, f"Unknown knobs: {', '.join(sorted(unknown))}")
        if actions.get("expire_all_tokens"):
            self.tokens.expire_all()
        if actions.get("revoke_refresh_tokens"):
            self.tokens.revoke_refresh_tokens()
        return json_response(self.knobs.as_dict())


def throttled_response(retry_after: int, reports: bool) -> Response:
    """Bodies as in fixtures/error_429.txt: JSON for the general API, text on reports.
    A storm with storm_retry_after <= 0 leaves the Retry-After header out."""
    headers = {"Retry-After": str(retry_after)} if retry_after > 0 else {}
    if reports:
        return Response(429, b"Retry later", "text/plain", headers)
    body = orjson.dumps({"error": "Too Many Requests", "message": "Retry later"})
    return Response(429, body, JSON_TYPE, headers)


def _serves_harvest_text(request: Request, response: Response) -> bool:
    return (
        response.status == 200
        and response.content_type == JSON_TYPE
        and request.path.startswith(("/api/", "/id/api/v2/accounts"))
    )


def _flag_auth(logged: LoggedRequest, request: Request, valid: bool) -> None:
    if "authorization" in request.headers or "access_token" in request.query:
        logged.headers["Authorization"] = valid


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "HarvestSandbox/1.0"
    app: SandboxApp  # set on the subclass made by make_server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    def _serve(self) -> None:
        started = time.perf_counter()
        arrived = time.time()
        request, logged = self._read_request()
        logged.at = arrived
        try:
            response = self.app.handle(request, logged)
        except Exception:
            logger.exception(
                "sandbox error method=%s path=%s", request.method, request.path
            )
            response = json_response(
                {"status": 500, "error": "Internal Server Error"}, 500
            )
        truncate = self.app.should_truncate(request.path)
        logged.status = response.status
        logged.ms = round((time.perf_counter() - started) * 1000, 2)
        # Recorded before the answer leaves, so a test that got it also sees the log.
        self._record(logged)
        self._write(response, truncate)

    def _read_request(self) -> tuple[Request, LoggedRequest]:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = {name.lower(): value for name, value in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        host = headers.get("host") or "{}:{}".format(*self.server.server_address[:2])
        request = Request(
            self.command, parts.path, query, headers, body, f"http://{host}"
        )
        safe_headers: dict[str, object] = {
            name: value
            for name, value in self.headers.items()
            if name.lower() != "authorization"
        }
        safe_query = {
            k: ("[filtered]" if k in SECRET_PARAMS else v) for k, v in query.items()
        }
        logged = LoggedRequest(self.command, parts.path, safe_query, safe_headers)
        bearer = bearer_token(request)
        if bearer:
            logged.token = hashlib.sha256(bearer.encode()).hexdigest()[:12]
        return request, logged

    def _write(self, response: Response, truncate: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        body = response.body
        if truncate:
            body = body[: max(1, len(body) // 2)]
        # Headers and body in one write: two small writes meet delayed ACKs (~40 ms).
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()

    def _record(self, logged: LoggedRequest) -> None:
        requests = self.app.requests
        requests.append(logged)
        if len(requests) > MAX_LOGGED_REQUESTS:
            del requests[: MAX_LOGGED_REQUESTS // 2]
        shown = urlencode(
            {k: v for k, v in logged.query.items() if k not in SECRET_PARAMS}
        )
        logger.info(
            "method=%s path=%s%s status=%s ms=%.1f",
            logged.method,
            logged.path,
            f"?{shown}" if shown else "",
            logged.status,
            logged.ms,
        )

    def log_message(self, format: str, *args: object) -> None:
        """Silence the stdlib's access log; _record logs one line per request."""


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def make_server(host: str, port: int, knobs: Knobs) -> tuple[SandboxServer, SandboxApp]:
    app = SandboxApp(knobs)
    handler = type("BoundSandboxHandler", (SandboxHandler,), {"app": app})
    return SandboxServer((host, port), handler), app


class RunningSandbox:
    """A sandbox served from a background thread (for tests and benchmarks)."""

    def __init__(self, server: SandboxServer, app: SandboxApp) -> None:
        self.server = server
        self.app = app
        host, port = server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self.id_base = self.base_url + "/id"
        self.api_base = self.base_url + "/api"
        self.thread = threading.Thread(
            target=server.serve_forever, name="harvest-sandbox", daemon=True
        )

    @property
    def knobs(self) -> Knobs:
        return self.app.knobs

    @property
    def requests(self) -> list[LoggedRequest]:
        return self.app.requests

    @property
    def dataset(self) -> Dataset:
        return self.app.dataset

    def issue_tokens(self) -> dict:
        """Tokens as the token endpoint would return them, without the browser step."""
        return self.app.tokens.issue()

    def expire_all_tokens(self) -> None:
        self.app.tokens.expire_all()

    def revoke_refresh_tokens(self) -> None:
        self.app.tokens.revoke_refresh_tokens()

    def reset(self) -> None:
        self.app.reset()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "RunningSandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(
    seed: int = 42, entries: int = 300, port: int = 0, host: str = "127.0.0.1", **knobs
) -> RunningSandbox:
    """Start a sandbox on a background thread; port=0 picks a free port."""
    settings = Knobs(seed=seed, entries=entries)
    unknown = settings.update(knobs)
    if unknown:
        raise TypeError(f"unknown sandbox knobs: {', '.join(sorted(unknown))}")
    server, app = make_server(host, port, settings)
    running = RunningSandbox(server, app)
    running.thread.start()
    return running
