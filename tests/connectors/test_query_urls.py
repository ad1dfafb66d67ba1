"""normalize_query_url: the forms users paste, and the tricks it refuses."""

import pytest
import responses

from connectors.harvest.errors import DisallowedURL
from connectors.harvest.query_urls import normalize_query_url

ACCEPTED = [
    ("/v2/time_entries", "/v2/time_entries"),
    ("  /v2/projects?is_active=true  ", "/v2/projects?is_active=true"),
    (
        "https://api.harvestapp.com/v2/time_entries?from=2025-03-01&to=2025-03-31",
        "/v2/time_entries?from=2025-03-01&to=2025-03-31",
    ),
    ("https://API.HarvestApp.com/v2/clients", "/v2/clients"),
    ("https://api.harvestapp.com:443/v2/users/me", "/v2/users/me"),
    (
        "https://api.harvestapp.com/v2/reports/time/projects?from=20250301&to=20250313",
        "/v2/reports/time/projects?from=20250301&to=20250313",
    ),
    ("/v2/invoices/7700012/payments", "/v2/invoices/7700012/payments"),
    ("/v2/projects/", "/v2/projects"),
    ("/v2/time_entries?user_id=&page=2", "/v2/time_entries?user_id=&page=2"),
    ("/v2/tasks#section", "/v2/tasks"),
]

HOSTILE = [
    # other hosts and look-alikes
    ("https://evil.example/v2/time_entries", "not Harvest's API host"),
    ("https://api.harvestapp.com.evil.example/v2/clients", "not Harvest's API host"),
    ("https://evil.example/api.harvestapp.com/v2/clients", "not Harvest's API host"),
    ("https://apiharvestapp.com/v2/clients", "not Harvest's API host"),
    ("https://api-harvestapp.com/v2/clients", "not Harvest's API host"),
    ("https://harvestapp.com/v2/clients", "not Harvest's API host"),
    ("https://id.getharvest.com/api/v2/accounts", "not Harvest's API host"),
    ("https://www.api.harvestapp.com/v2/clients", "not Harvest's API host"),
    ("https://api.harvestapp.co/v2/clients", "not Harvest's API host"),
    ("//evil.example/v2/clients", "not Harvest's API host"),
    ("///evil.example/v2/clients", "Only https://"),
    # userinfo tricks
    ("https://api.harvestapp.com@evil.example/v2/clients", "user name or password"),
    ("https://evil.example@api.harvestapp.com/v2/clients", "user name or password"),
    ("https://user:pw@api.harvestapp.com/v2/clients", "user name or password"),
    ("https://api.harvestapp.com%40evil.example/v2/x", "not Harvest's API host"),
    ("https://:@api.harvestapp.com/v2/clients", "user name or password"),
    # backslashes
    ("https://api.harvestapp.com\\@evil.example/v2/clients", "backslash"),
    ("https:\\\\evil.example\\v2\\clients", "backslash"),
    ("/v2\\..\\..\\id/api/v2/accounts", "backslash"),
    # dots, encoded dots and separators
    ("/v2/../id/api/v2/accounts", "“..”"),
    ("/v2/./time_entries", "“..”"),
    ("/v2/time_entries/../../admin", "“..”"),
    ("/v2/%2e%2e/id/api/v2/accounts", "encoded characters"),
    ("/v2/%2E%2E/admin", "encoded characters"),
    ("/v2/time_entries%2f..%2f..%2fadmin", "encoded characters"),
    ("/v2/time%5fentries", "encoded characters"),
    ("/v2//time_entries", "empty"),
    ("https://api.harvestapp.com/v2/%2e%2e/x", "encoded characters"),
    # trailing dots and IDN look-alikes
    ("https://api.harvestapp.com./v2/clients", "not Harvest's API host"),
    ("https://api.harvestapp.com../v2/clients", "not Harvest's API host"),
    (
        "https://api.harv\u0435stapp.com/v2/clients",
        "not Harvest's API host",
    ),  # Cyrillic
    (
        "https://\u0430pi.harvestapp.com/v2/clients",
        "not Harvest's API host",
    ),  # Cyrillic
    ("https://xn--api-harvestapp-7ob.com/v2/clients", "not Harvest's API host"),
    ("https://api.harvestapp.com%2eevil.example/v2/x", "not Harvest's API host"),
    (
        "https://api\uff0eharvestapp\uff0ecom/v2/clients",
        "not Harvest's API host",
    ),  # fullwidth
    # IP literals in every notation
    ("https://127.0.0.1/v2/clients", "not Harvest's API host"),
    ("https://2130706433/v2/clients", "not Harvest's API host"),
    ("https://0x7f000001/v2/clients", "not Harvest's API host"),
    ("https://0x7f.0.0.1/v2/clients", "not Harvest's API host"),
    ("https://0177.0.0.1/v2/clients", "not Harvest's API host"),
    ("https://017700000001/v2/clients", "not Harvest's API host"),
    ("https://127.1/v2/clients", "not Harvest's API host"),
    ("https://169.254.169.254/v2/clients", "not Harvest's API host"),
    ("https://[::1]/v2/clients", "not Harvest's API host"),
    ("https://[::ffff:127.0.0.1]/v2/clients", "not Harvest's API host"),
    ("https://[0:0:0:0:0:ffff:7f00:1]/v2/clients", "not Harvest's API host"),
    ("https://[fe80::1%25eth0]/v2/clients", "not Harvest's API host"),
    # ports
    ("https://api.harvestapp.com:8443/v2/clients", "not Harvest's API host"),
    ("https://api.harvestapp.com:80/v2/clients", "not Harvest's API host"),
    ("https://api.harvestapp.com:0/v2/clients", "not Harvest's API host"),
    ("https://api.harvestapp.com:0443/v2/clients", None),
    ("https://api.harvestapp.com:99999/v2/clients", "not Harvest's API host"),
    ("https://api.harvestapp.com:/v2/clients", None),
    # schemes
    ("http://api.harvestapp.com/v2/clients", "only reachable over https"),
    ("ftp://api.harvestapp.com/v2/clients", "Only https://"),
    ("file:///etc/passwd", "Only https://"),
    ("javascript:alert(document.cookie)", "Only https://"),
    ("JaVaScRiPt:alert(1)", "Only https://"),
    ("data:text/html,<script>alert(1)</script>", "Only https://"),
    ("gopher://api.harvestapp.com/v2/clients", "Only https://"),
    ("api.harvestapp.com/v2/clients", "neither a path"),
    # credentials in the query
    ("/v2/time_entries?access_token=abc", "access_token"),
    ("/v2/time_entries?account_id=123", "account_id"),
    ("/v2/time_entries?ACCESS_TOKEN=abc", "ACCESS_TOKEN"),
    ("/v2/time_entries?access%5Ftoken=abc", "access_token"),
    ("/v2/time_entries?from=2025-01-01&account_id=1", "account_id"),
    (
        "https://api.harvestapp.com/v2/users/me?access_token=x&account_id=1",
        "access_token",
    ),
    # unknown or odd paths
    ("/v1/time_entries", "start with /v2/"),
    ("/api/v2/accounts", "start with /v2/"),
    ("/v2/oauth2/token", "not a Harvest API resource"),
    ("/v2/admin", "not a Harvest API resource"),
    ("/v2/time_entries/1.json", "characters Harvest paths never have"),
    ("/v2/time_entries/é", "characters Harvest paths never have"),
    ("/v2/time entries", "spaces"),
    ("/v2/time_entries\n/v2/users", "spaces"),
    ("/v2/time_entries\x00", "control"),
    ("", "empty"),
    ("   ", "empty"),
    ("/v2/time_entries?" + "a=b&" * 600, "longer than"),
    ("/v2/time_entries?=&&=", "malformed"),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_it_keeps_path_and_query_of_harvest_urls(text, expected):
    assert normalize_query_url(text) == expected


def test_the_table_covers_at_least_sixty_hostile_urls():
    assert len(HOSTILE) >= 60


@pytest.mark.parametrize(("text", "message"), HOSTILE)
@responses.activate
def test_it_refuses_hostile_urls_with_a_reason(text, message):
    if message is None:
        # Equivalent spellings of the real origin (0443, empty port) are fine.
        assert normalize_query_url(text).startswith("/v2/")
        return

    with pytest.raises(DisallowedURL) as raised:
        normalize_query_url(text)

    assert message in raised.value.user_message
    assert len(responses.calls) == 0


def test_the_configured_sandbox_base_is_accepted(settings):
    settings.HARVEST_API_BASE = "http://127.0.0.1:8010/api"

    assert (
        normalize_query_url("http://127.0.0.1:8010/api/v2/clients?is_active=true")
        == "/v2/clients?is_active=true"
    )
    with pytest.raises(DisallowedURL):
        normalize_query_url("http://2130706433:8010/api/v2/clients")
    with pytest.raises(DisallowedURL):
        normalize_query_url("http://127.0.0.1:8011/api/v2/clients")
