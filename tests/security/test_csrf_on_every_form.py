"""Every URL of the app refuses a POST without a CSRF token (403), signed in or
not; the token API takes no session cookie, so a browser cannot be led to it."""

import re
import uuid

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, UUIDConverter

# Sample values for path converters; access checks come after the CSRF check.
SAMPLES = {IntConverter: "1", UUIDConverter: str(uuid.uuid4())}
# Views without a session: DRF views authenticate by API token only.
TOKEN_ONLY_PREFIX = "/api/v1/"


def _walk(resolvers, prefix: str = "") -> list[str]:
    urls = []
    for entry in resolvers:
        pattern = entry.pattern
        route = getattr(pattern, "_route", None)
        if route is None:
            # A regex pattern (allauth's reset key, admin's app lists): each
            # group becomes a sample value.
            route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", str(pattern))
            route = route.lstrip("^").rstrip("$").replace("\\", "")
        if isinstance(entry, URLResolver):
            urls += _walk(entry.url_patterns, prefix + _filled(route, pattern))
        elif isinstance(entry, URLPattern):
            urls.append("/" + prefix + _filled(route, pattern))
    return urls


def _filled(route: str, pattern) -> str:
    converters = getattr(pattern, "converters", {})
    for name, converter in converters.items():
        sample = SAMPLES.get(type(converter), "sample")
        for spelled in (f"<{name}>", *(f"<{k}:{name}>" for k in _converter_names())):
            route = route.replace(spelled, sample)
    return route


def _converter_names() -> list[str]:
    return ["int", "str", "slug", "uuid", "path"]


def _every_url() -> list[str]:
    return sorted(set(_walk(get_resolver().url_patterns)))


def test_the_walk_finds_the_forms_of_every_app():
    urls = _every_url()

    for expected in (
        "/accounts/login/",
        "/connections/1/rename/",
        "/workspaces/members/invite/",
        "/api/tokens/",
    ):
        assert any(url.startswith(expected) for url in urls), expected
    assert len(urls) > 40


def test_every_url_refuses_a_post_without_a_csrf_token(owner):
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(owner)
    anonymous = Client(enforce_csrf_checks=True)

    accepted = {}
    for url in _every_url():
        for who, client in (("signed in", signed_in), ("anonymous", anonymous)):
            status = client.post(url, {"name": "x"}).status_code
            allowed = {401, 403} if url.startswith(TOKEN_ONLY_PREFIX) else {403}
            if status not in allowed:
                accepted[f"{who} {url}"] = status

    assert accepted == {}
