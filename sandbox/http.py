"""Small request/response types shared by the sandbox's id and api sides."""

from dataclasses import dataclass, field
from typing import Any

import orjson

from sandbox.pagination import BadParameter

JSON_TYPE = "application/json; charset=utf-8"
INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": "The access token provided is expired, revoked, malformed "
    "or invalid for other reasons.",
}


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # scheme://host[:port] as the client addressed us
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern
    token: Any = None  # sandbox.oauth.Grant of a valid bearer token
    account_id: int | None = None

    def form(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        content_type = self.headers.get("content-type", "")
        if "json" in content_type:
            try:
                data = orjson.loads(self.body or b"{}")
            except orjson.JSONDecodeError:
                raise BadParameter("the request body is not valid JSON") from None
            return dict(data) if isinstance(data, dict) else {}
        return dict(
            parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        )


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: Any, status: int = 200, **headers: str) -> Response:
    return Response(status, orjson.dumps(data), JSON_TYPE, dict(headers))


def message(status: int, text: str) -> Response:
    return json_response({"message": text}, status)


def not_found() -> Response:
    return json_response({"status": 404, "error": "Not Found"}, 404)


def forbidden() -> Response:
    return json_response(
        {
            "status": 403,
            "error": "Forbidden",
            "message": "Your role does not allow access to this resource.",
        },
        403,
    )


def invalid_token() -> Response:
    return json_response(INVALID_TOKEN, 401)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def html(text: str, status: int = 200) -> Response:
    return Response(status, text.encode(), "text/html; charset=utf-8")


def redirect(location: str, status: int = 302) -> Response:
    return Response(status, b"", "text/plain", {"Location": location})
