"""Turn what a user typed as a "Query URL" into a safe "/v2/...?..." path.

Users paste URLs from Harvest's docs ("https://api.harvestapp.com/v2/time_entries
?from=2025-01-01"), from the sandbox, or just "/v2/projects". Only the path and
query survive; the client later puts them on the configured API base. Anything
that could point the request elsewhere, or smuggle a credential, is refused with
a sentence saying why, before any connection is opened.

Reference: https://help.getharvest.com/api-v2/introduction/overview/general/
"""

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from connectors.harvest.errors import DisallowedURL
from connectors.harvest.origins import CONTROL_OR_SPACE, Origin, api_origin

REAL_API_ORIGIN = Origin.parse("https://api.harvestapp.com")
MAX_LENGTH = 2000
KNOWN_RESOURCES = frozenset(
    {
        "clients",
        "company",
        "contacts",
        "estimate_item_categories",
        "estimates",
        "expense_categories",
        "expenses",
        "invoice_item_categories",
        "invoices",
        "projects",
        "reports",
        "roles",
        "task_assignments",
        "tasks",
        "time_entries",
        "user_assignments",
        "users",
    }
)
SEGMENT = re.compile(r"^(?:[a-z_]{1,60}|\d{1,20})$")
# Credentials belong in headers; in a URL they end up in logs and history.
FORBIDDEN_PARAMS = frozenset({"access_token", "account_id"})
EXAMPLE = "Use a Harvest API address such as /v2/time_entries?from=2025-01-01."


def normalize_query_url(text: str) -> str:
    """ "/v2/...?..." for a Harvest API URL or path, or DisallowedURL saying why."""
    raw = (text or "").strip()
    _check_characters(raw)

    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or raw.startswith("//"):
        _check_origin(raw, parts)
    elif not raw.startswith("/"):
        raise DisallowedURL(
            f"“{raw[:60]}” is neither a path starting with /v2/ nor a full "
            f"https:// address. {EXAMPLE}"
        )

    path = _checked_path(parts.path)
    query = _checked_query(parts.query)
    return path + (f"?{query}" if query else "")


def _check_characters(raw: str) -> None:
    if not raw:
        raise DisallowedURL(f"The Query URL is empty. {EXAMPLE}")
    if len(raw) > MAX_LENGTH:
        raise DisallowedURL(f"The Query URL is longer than {MAX_LENGTH} characters.")
    if "\\" in raw:
        raise DisallowedURL("The Query URL contains a backslash, which is not allowed.")
    if CONTROL_OR_SPACE.search(raw):
        raise DisallowedURL("The Query URL contains spaces or control characters.")


def _check_origin(raw: str, parts) -> None:
    scheme = parts.scheme.lower()
    if not scheme and parts.netloc:
        raise DisallowedURL(
            f"“{parts.netloc[:80]}” is not Harvest's API host; start with "
            f"https://api.harvestapp.com or just /v2/. {EXAMPLE}"
        )
    if scheme not in {"http", "https"}:
        raise DisallowedURL(
            f"Only https:// addresses of the Harvest API are allowed, "
            f"not “{scheme or 'scheme-less'}:” ones."
        )
    if "@" in parts.netloc:
        raise DisallowedURL(
            "The address contains a user name or password (an “@” before the "
            "host), which HarvestDash refuses."
        )

    # Only scheme, host and port are judged here; the path has its own checks
    # with more precise messages.
    origin = api_origin()
    authority = f"{parts.scheme}://{parts.netloc}"
    if REAL_API_ORIGIN.owns(authority + "/v2/") or origin.owns(
        authority + origin.path_prefix + "/v2/"
    ):
        return
    host = parts.netloc.rsplit("@", 1)[-1]
    if scheme == "http" and host.split(":")[0].lower() == REAL_API_ORIGIN.host:
        raise DisallowedURL("Harvest's API is only reachable over https://.")
    allowed = " or ".join(dict.fromkeys([REAL_API_ORIGIN.base_url, origin.base_url]))
    raise DisallowedURL(
        f"“{host[:80]}” is not Harvest's API host. HarvestDash only sends your "
        f"Harvest token to {allowed}. {EXAMPLE}"
    )


def _checked_path(path: str) -> str:
    origin = api_origin()
    if origin.path_prefix and path.startswith(origin.path_prefix + "/v2/"):
        path = path[len(origin.path_prefix) :]
    if "%" in path:
        raise DisallowedURL(
            "The path contains encoded characters (%…); type it plainly."
        )
    if not path.startswith("/v2/"):
        raise DisallowedURL(f"Harvest API paths start with /v2/. {EXAMPLE}")
    if not path.isascii():
        raise DisallowedURL("The path contains characters Harvest paths never have.")

    segments = path[len("/v2/") :].rstrip("/").split("/")
    if any(segment in {"", ".", ".."} for segment in segments):
        raise DisallowedURL("The path contains empty, “.” or “..” parts.")
    if segments[0] not in KNOWN_RESOURCES:
        raise DisallowedURL(
            f"/v2/{segments[0][:40]} is not a Harvest API resource HarvestDash "
            "can read."
        )
    if not all(SEGMENT.match(segment) for segment in segments):
        raise DisallowedURL("The path contains characters Harvest paths never have.")
    return "/v2/" + "/".join(segments)


def _checked_query(query: str) -> str:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise DisallowedURL("The query string after “?” is malformed.") from None

    for key, _value in pairs:
        if unquote(key).strip().lower() in FORBIDDEN_PARAMS:
            raise DisallowedURL(
                f"Remove “{key}” from the URL: HarvestDash sends the token and "
                "account itself, from the connection you pick."
            )
    # ":" stays as typed: Harvest reads both, and updated_since=…T00:00:00Z is
    # what the user wrote (and the recipe says), not …T00%3A00%3A00Z.
    return urlencode(pairs, safe=":")
