"""Relative dates in Query URLs: {{today}}, {{start_of_month}}, {{days_ago:30}}.

Dates are resolved in the workspace's time zone (else the connecting Harvest
user's, else UTC), because Harvest filters on `spent_date`, a plain local date:
at 23:30 in New York "today" must still be New York's today. Weeks start on the
Harvest company's week start day.
"""

import logging
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

logger = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)(?::\s*(-?\d+))?\s*\}\}")

WEEK_START_DAYS = {"Monday": 0, "Saturday": 5, "Sunday": 6}

# Harvest stores user time zones under Ruby on Rails' display names
# (ActiveSupport::TimeZone::MAPPING); IANA names pass through unchanged.
HARVEST_TIME_ZONES: dict[str, str] = {
    "International Date Line West": "Etc/GMT+12",
    "Midway Island": "Pacific/Midway",
    "American Samoa": "Pacific/Pago_Pago",
    "Hawaii": "Pacific/Honolulu",
    "Alaska": "America/Juneau",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Tijuana": "America/Tijuana",
    "Mountain Time (US & Canada)": "America/Denver",
    "Arizona": "America/Phoenix",
    "Chihuahua": "America/Chihuahua",
    "Mazatlan": "America/Mazatlan",
    "Central Time (US & Canada)": "America/Chicago",
    "Saskatchewan": "America/Regina",
    "Guadalajara": "America/Mexico_City",
    "Mexico City": "America/Mexico_City",
    "Monterrey": "America/Monterrey",
    "Central America": "America/Guatemala",
    "Eastern Time (US & Canada)": "America/New_York",
    "Indiana (East)": "America/Indiana/Indianapolis",
    "Bogota": "America/Bogota",
    "Lima": "America/Lima",
    "Quito": "America/Lima",
    "Atlantic Time (Canada)": "America/Halifax",
    "Caracas": "America/Caracas",
    "La Paz": "America/La_Paz",
    "Santiago": "America/Santiago",
    "Newfoundland": "America/St_Johns",
    "Brasilia": "America/Sao_Paulo",
    "Buenos Aires": "America/Argentina/Buenos_Aires",
    "Montevideo": "America/Montevideo",
    "Georgetown": "America/Guyana",
    "Puerto Rico": "America/Puerto_Rico",
    "Greenland": "America/Godthab",
    "Mid-Atlantic": "Atlantic/South_Georgia",
    "Azores": "Atlantic/Azores",
    "Cape Verde Is.": "Atlantic/Cape_Verde",
    "Dublin": "Europe/Dublin",
    "Edinburgh": "Europe/London",
    "Lisbon": "Europe/Lisbon",
    "London": "Europe/London",
    "Casablanca": "Africa/Casablanca",
    "Monrovia": "Africa/Monrovia",
    "UTC": "Etc/UTC",
    "Belgrade": "Europe/Belgrade",
    "Bratislava": "Europe/Bratislava",
    "Budapest": "Europe/Budapest",
    "Ljubljana": "Europe/Ljubljana",
    "Prague": "Europe/Prague",
    "Sarajevo": "Europe/Sarajevo",
    "Skopje": "Europe/Skopje",
    "Warsaw": "Europe/Warsaw",
    "Zagreb": "Europe/Zagreb",
    "Brussels": "Europe/Brussels",
    "Copenhagen": "Europe/Copenhagen",
    "Madrid": "Europe/Madrid",
    "Paris": "Europe/Paris",
    "Amsterdam": "Europe/Amsterdam",
    "Berlin": "Europe/Berlin",
    "Bern": "Europe/Zurich",
    "Zurich": "Europe/Zurich",
    "Rome": "Europe/Rome",
    "Stockholm": "Europe/Stockholm",
    "Vienna": "Europe/Vienna",
    "West Central Africa": "Africa/Algiers",
    "Bucharest": "Europe/Bucharest",
    "Cairo": "Africa/Cairo",
    "Helsinki": "Europe/Helsinki",
    "Kyiv": "Europe/Kiev",
    "Riga": "Europe/Riga",
    "Sofia": "Europe/Sofia",
    "Tallinn": "Europe/Tallinn",
    "Vilnius": "Europe/Vilnius",
    "Athens": "Europe/Athens",
    "Istanbul": "Europe/Istanbul",
    "Minsk": "Europe/Minsk",
    "Jerusalem": "Asia/Jerusalem",
    "Harare": "Africa/Harare",
    "Pretoria": "Africa/Johannesburg",
    "Kaliningrad": "Europe/Kaliningrad",
    "Moscow": "Europe/Moscow",
    "St. Petersburg": "Europe/Moscow",
    "Volgograd": "Europe/Volgograd",
    "Samara": "Europe/Samara",
    "Kuwait": "Asia/Kuwait",
    "Riyadh": "Asia/Riyadh",
    "Nairobi": "Africa/Nairobi",
    "Baghdad": "Asia/Baghdad",
    "Tehran": "Asia/Tehran",
    "Abu Dhabi": "Asia/Muscat",
    "Muscat": "Asia/Muscat",
    "Baku": "Asia/Baku",
    "Tbilisi": "Asia/Tbilisi",
    "Yerevan": "Asia/Yerevan",
    "Kabul": "Asia/Kabul",
    "Ekaterinburg": "Asia/Yekaterinburg",
    "Islamabad": "Asia/Karachi",
    "Karachi": "Asia/Karachi",
    "Tashkent": "Asia/Tashkent",
    "Chennai": "Asia/Kolkata",
    "Kolkata": "Asia/Kolkata",
    "Mumbai": "Asia/Kolkata",
    "New Delhi": "Asia/Kolkata",
    "Kathmandu": "Asia/Kathmandu",
    "Astana": "Asia/Dhaka",
    "Dhaka": "Asia/Dhaka",
    "Sri Jayawardenepura": "Asia/Colombo",
    "Almaty": "Asia/Almaty",
    "Novosibirsk": "Asia/Novosibirsk",
    "Rangoon": "Asia/Rangoon",
    "Bangkok": "Asia/Bangkok",
    "Hanoi": "Asia/Bangkok",
    "Jakarta": "Asia/Jakarta",
    "Krasnoyarsk": "Asia/Krasnoyarsk",
    "Beijing": "Asia/Shanghai",
    "Chongqing": "Asia/Chongqing",
    "Hong Kong": "Asia/Hong_Kong",
    "Urumqi": "Asia/Urumqi",
    "Kuala Lumpur": "Asia/Kuala_Lumpur",
    "Singapore": "Asia/Singapore",
    "Taipei": "Asia/Taipei",
    "Perth": "Australia/Perth",
    "Irkutsk": "Asia/Irkutsk",
    "Ulaanbaatar": "Asia/Ulaanbaatar",
    "Seoul": "Asia/Seoul",
    "Osaka": "Asia/Tokyo",
    "Sapporo": "Asia/Tokyo",
    "Tokyo": "Asia/Tokyo",
    "Yakutsk": "Asia/Yakutsk",
    "Darwin": "Australia/Darwin",
    "Adelaide": "Australia/Adelaide",
    "Canberra": "Australia/Melbourne",
    "Melbourne": "Australia/Melbourne",
    "Sydney": "Australia/Sydney",
    "Brisbane": "Australia/Brisbane",
    "Hobart": "Australia/Hobart",
    "Vladivostok": "Asia/Vladivostok",
    "Guam": "Pacific/Guam",
    "Port Moresby": "Pacific/Port_Moresby",
    "Magadan": "Asia/Magadan",
    "Srednekolymsk": "Asia/Srednekolymsk",
    "Solomon Is.": "Pacific/Guadalcanal",
    "New Caledonia": "Pacific/Noumea",
    "Fiji": "Pacific/Fiji",
    "Kamchatka": "Asia/Kamchatka",
    "Marshall Is.": "Pacific/Majuro",
    "Auckland": "Pacific/Auckland",
    "Wellington": "Pacific/Auckland",
    "Nuku'alofa": "Pacific/Tongatapu",
    "Tokelau Is.": "Pacific/Fakaofo",
    "Chatham Is.": "Pacific/Chatham",
    "Samoa": "Pacific/Apia",
}


class UnknownPlaceholder(ValueError):
    """A {{name}} in a Query URL that is not a relative date we know."""


def zone_named(name: str) -> ZoneInfo | None:
    """A Harvest display name or an IANA name as a zone; None if unknown."""
    name = (name or "").strip()
    if not name:
        return None
    try:
        return ZoneInfo(HARVEST_TIME_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown time zone name=%r", name)
        return None


def zone_for(workspace, connection=None) -> ZoneInfo:
    """Workspace zone, else the connecting Harvest user's zone, else UTC."""
    for name in (
        getattr(workspace, "time_zone", ""),
        getattr(connection, "harvest_time_zone", ""),
    ):
        zone = zone_named(name)
        if zone is not None:
            return zone
    return ZoneInfo("UTC")


def week_start_index(week_start_day: str | None) -> int:
    """Python weekday (Monday=0) of Harvest's week_start_day; Monday if unknown."""
    return WEEK_START_DAYS.get((week_start_day or "").strip().title(), 0)


def today_in(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zone).date()


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: date, quarters_back: int = 0) -> date:
    first_month_of_quarter = day.replace(day=1, month=(day.month - 1) // 3 * 3 + 1)
    return _month_start(first_month_of_quarter, 3 * quarters_back)


def _week_start(day: date, week_start: int) -> date:
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def dates_for(today: date, week_start: int = 0) -> dict[str, date]:
    """Every named relative date for a given local day."""
    week = _week_start(today, week_start)
    month = _month_start(today)
    next_month = _month_start(today, -1)
    quarter = _quarter_start(today)
    next_quarter = _quarter_start(today, -1)
    return {
        "today": today,
        "yesterday": today - timedelta(days=1),
        "tomorrow": today + timedelta(days=1),
        "start_of_week": week,
        "end_of_week": week + timedelta(days=6),
        "start_of_last_week": week - timedelta(days=7),
        "end_of_last_week": week - timedelta(days=1),
        "start_of_month": month,
        "end_of_month": next_month - timedelta(days=1),
        "start_of_last_month": _month_start(today, 1),
        "end_of_last_month": month - timedelta(days=1),
        "start_of_quarter": quarter,
        "end_of_quarter": next_quarter - timedelta(days=1),
        "start_of_last_quarter": _quarter_start(today, 1),
        "end_of_last_quarter": quarter - timedelta(days=1),
        "start_of_year": date(today.year, 1, 1),
        "end_of_year": date(today.year, 12, 31),
        "start_of_last_year": date(today.year - 1, 1, 1),
        "end_of_last_year": date(today.year - 1, 12, 31),
    }


# Placeholders taking a number of days: {{days_ago:30}}, {{days_ahead:7}}.
_DAY_OFFSETS = {"days_ago": -1, "days_ahead": 1}


def placeholder_names() -> list[str]:
    """What a user may write, for help texts."""
    return [*dates_for(date(2000, 1, 1)), "days_ago:N", "days_ahead:N"]


def resolve(template: str, today: date, week_start: int = 0) -> str:
    """Replace every {{placeholder}} with its YYYY-MM-DD date."""
    named = dates_for(today, week_start)

    def replace(match: re.Match) -> str:
        name, number = match.group(1), match.group(2)
        if name in _DAY_OFFSETS and number is not None:
            return (
                today + timedelta(days=_DAY_OFFSETS[name] * int(number))
            ).isoformat()
        if name in named and number is None:
            return named[name].isoformat()
        raise UnknownPlaceholder(
            f"Unknown relative date {match.group(0)}. Use one of: "
            + ", ".join("{{" + n + "}}" for n in placeholder_names())
        )

    return PLACEHOLDER.sub(replace, template)


def find_unknown(template: str) -> str | None:
    """The first placeholder `resolve` would reject, as a message, or None."""
    try:
        resolve(template, date(2000, 1, 1))
    except UnknownPlaceholder as error:
        return str(error)
    return None
