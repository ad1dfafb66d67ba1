"""Error pages and error reports never show a token, with DEBUG on or off."""

import secrets
import sys

import pytest
from django.test import RequestFactory, override_settings
from django.views.debug import ExceptionReporter

# Made at run time: error pages show source lines, which must not hold it.
CANARY = f"canaryerrorpage{secrets.token_hex(12)}"


def _failing_request_to_harvest(token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    refresh_token = token
    raise RuntimeError(
        f"the HTTP layer failed after {len(headers)} headers, "
        f"{len(refresh_token) > 0} refresh"
    )


def _error_page(debug: bool, post: dict | None = None) -> str:
    request = RequestFactory().post("/connections/harvest/token/", post or {})
    try:
        _failing_request_to_harvest(CANARY)
    except RuntimeError:
        exc_type, exc_value, tb = sys.exc_info()
    with override_settings(DEBUG=debug):
        reporter = ExceptionReporter(request, exc_type, exc_value, tb)
        return reporter.get_traceback_html() + reporter.get_traceback_text()


@pytest.mark.parametrize("debug", [True, False])
def test_the_error_page_hides_the_token_held_in_frame_variables(debug: bool) -> None:
    page = _error_page(debug)

    assert "the HTTP layer failed after 2 headers" in page
    assert "_failing_request_to_harvest" in page
    assert CANARY not in page
    assert "application/json" in page  # other header values stay readable


@pytest.mark.parametrize("debug", [True, False])
def test_the_error_page_hides_a_token_typed_into_a_form(debug: bool) -> None:
    page = _error_page(debug, post={"token": CANARY, "name": "Agency"})

    assert CANARY not in page
    assert "Agency" in page
