"""The only places a Harvest token may ever be sent.

An origin here is scheme + host + port + path prefix, taken from the settings
HARVEST_API_BASE and HARVEST_ID_BASE. A URL belongs to an origin only when all
four match exactly; anything clever (userinfo, backslashes, dot segments,
encoded separators, control characters) is refused rather than interpreted,
because servers and proxies do not agree on how to read such URLs.
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings

from connectors.harvest.errors import DisallowedURL

DEFAULT_PORTS = {"http": 80, "https": 443}
# Percent-encoded ".", "/" and "\" let a path look harmless to us and mean
# something else to the server.
ENCODED_SEPARATORS = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)
CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int
    path_prefix: str

    @classmethod
    def parse(cls, base: str) -> "Origin":
        parts = urlsplit(base)
        scheme = parts.scheme.lower()
        return cls(
            scheme=scheme,
            host=(parts.hostname or "").lower(),
            port=parts.port or DEFAULT_PORTS[scheme],
            path_prefix=parts.path.rstrip("/"),
        )

    @property
    def base_url(self) -> str:
        default = DEFAULT_PORTS[self.scheme] == self.port
        netloc = self.host if default else f"{self.host}:{self.port}"
        return f"{self.scheme}://{netloc}{self.path_prefix}"

    def url_for(self, path: str) -> str:
        """The absolute URL of `path` ("/v2/...") on this origin."""
        return self.base_url + path

    def path_of(self, url: str) -> str:
        """`url` without this origin's base: "/v2/clients?..."."""
        return url[len(self.base_url) :]

    def owns(self, url: str) -> bool:
        if "\\" in url or CONTROL_OR_SPACE.search(url):
            return False

        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False

        if "@" in parts.netloc or parts.scheme.lower() != self.scheme:
            return False
        if (parts.hostname or "") != self.host:
            return False
        if (port if port is not None else DEFAULT_PORTS[self.scheme]) != self.port:
            return False
        return _is_plain_path_under(parts.path, self.path_prefix)


def _is_plain_path_under(path: str, prefix: str) -> bool:
    if ENCODED_SEPARATORS.search(path):
        return False

    segments = unquote(path).split("/")
    if any(segment in {".", ".."} for segment in segments):
        return False
    return path.startswith(prefix + "/")


def api_origin() -> Origin:
    return Origin.parse(settings.HARVEST_API_BASE)


def id_origin() -> Origin:
    return Origin.parse(settings.HARVEST_ID_BASE)


def origin_of(url: str) -> Origin:
    """The configured Harvest origin that owns `url`, or DisallowedURL."""
    for origin in (api_origin(), id_origin()):
        if origin.owns(url):
            return origin
    raise DisallowedURL(
        "HarvestDash only sends Harvest tokens to the configured Harvest "
        "addresses; this request pointed somewhere else and was not sent."
    )
