"""Settings and fault switches of a running sandbox, changeable while it runs."""

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

DEFAULT_REDIRECT_PREFIXES = ("http://127.0.0.1:8000/", "http://localhost:8000/")
DEFAULT_CALLBACK_PATH = "connections/harvest/callback/"
ACTIONS = ("expire_all_tokens", "revoke_refresh_tokens")


@dataclass
class Knobs:
    """Everything a test may change; HTTP: POST /_sandbox/knobs with these names."""

    # Data (changing one rebuilds the dataset and drops the overlay).
    seed: int = 42
    entries: int = 3000
    today: date | None = None

    # OAuth client, tokens.
    client_id: str = "harvestdash-demo"
    client_secret: str = "harvestdash-demo-secret"  # noqa: S105 (public demo value)
    redirect_prefixes: list[str] = field(
        default_factory=lambda: list(DEFAULT_REDIRECT_PREFIXES)
    )
    callback_path: str = DEFAULT_CALLBACK_PATH
    pat: str = "sandbox-demo-pat"
    token_lifetime: int = 1209599
    code_lifetime: int = 600
    rotate_refresh_tokens: bool = True
    tokens_invalid_before: float = 0.0  # OAuth access tokens issued earlier: expired
    refresh_invalid_before: float = 0.0  # refresh tokens issued earlier: revoked
    accounts: str = "both"  # both | forecast_only | harvest_only | none
    member_role: bool = False

    # Harvest's limits (defaults are Harvest's documented values).
    rate_limit_scope: str = "account"  # account | token
    general_limit: int = 100
    general_window: float = 15.0
    reports_limit: int = 100
    reports_window: float = 900.0
    per_page_over_max: str = "error"  # error (422) | clamp

    # Faults, applied to requests whose path starts with fault_path_prefix.
    fault_path_prefix: str = "/api/"
    storm_429: int = 0  # answer the next n requests with 429
    storm_retry_after: int = 2  # <= 0: no Retry-After header at all
    fail_5xx: int = 0  # answer the next n requests with fail_5xx_status
    fail_5xx_rate: float = 0.0  # ...or this share of requests (seeded random)
    fail_5xx_status: int = 503
    delay: float = 0.0  # seconds before every answer
    truncate_body: int = 0  # cut the next n bodies off mid-JSON
    html_200: int = 0  # answer the next n requests with an HTML page, status 200
    redirect_offhost: int = 0  # answer the next n requests with 302 to offhost_base
    offhost_base: str = "http://offhost.invalid:9"
    next_link_offhost: bool = False  # links.next points at offhost_base
    endless_pages: bool = False  # links.next always leads to one more page

    # Hostile data: names, notes, subjects... take these strings, cycled.
    hostile_names: list[str] = field(default_factory=list)

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply a JSON-style dict; returns the names that were not knobs."""
        known = {f.name: f for f in dataclasses.fields(self)}
        unknown = []
        for name, value in changes.items():
            if name not in known:
                unknown.append(name)
                continue
            setattr(self, name, _coerce(name, value, getattr(self, name)))
        return unknown

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["today"] = self.today.isoformat() if self.today else None
        return data

    def copy(self) -> "Knobs":
        return dataclasses.replace(
            self,
            redirect_prefixes=list(self.redirect_prefixes),
            hostile_names=list(self.hostile_names),
        )


def _coerce(name: str, value: Any, current: Any) -> Any:
    if name == "today":
        return date.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(current, int) and not isinstance(current, bool):
        return int(value)
    if isinstance(current, float):
        return float(value)
    if isinstance(current, list):
        return [str(item) for item in value]
    return value
