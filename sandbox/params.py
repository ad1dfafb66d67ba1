"""Parsing Harvest query parameters; a bad value is a 422, like Harvest."""

from datetime import UTC, date, datetime

from sandbox.pagination import BadParameter


def int_param(query: dict[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadParameter(f"{name} must be an integer") from None


def bool_param(query: dict[str, str], name: str) -> bool | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise BadParameter(f"{name} must be true or false")


def date_param(query: dict[str, str], name: str) -> date | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    return parse_date(raw, name)


def parse_date(raw: str, name: str) -> date:
    """YYYY-MM-DD, or the compact YYYYMMDD of Harvest's report examples."""
    try:
        if len(raw) == 8 and raw.isdigit():
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(f"{name} must be a date (YYYY-MM-DD)") from None


def since_param(query: dict[str, str], name: str = "updated_since") -> str | None:
    """An ISO 8601 datetime, normalised to the UTC "YYYY-MM-DDTHH:MM:SSZ" we emit."""
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(f"{name} must be an ISO 8601 datetime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
