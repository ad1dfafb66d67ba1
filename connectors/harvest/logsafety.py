"""Keep OAuth libraries from logging secrets, whatever the log level says.

requests-oauthlib and oauthlib write request bodies and tokens at DEBUG
("Prepared refresh token request body ... refresh_token=..."). Settings set
those loggers to WARNING, but a level is easy to lower while debugging; a
filter on the loggers that create the records drops them regardless. Error
pages get the same care from TokenSafeExceptionReporterFilter below.
"""

import logging
import re
from types import FrameType
from typing import Any

from django.http import HttpRequest, QueryDict
from django.views.debug import SafeExceptionReporterFilter

SECRET_BEARING_LOGGERS = ("requests_oauthlib", "oauthlib")


class DropBelowWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_FILTER = DropBelowWarning()


def silence_secret_bearing_loggers() -> None:
    """Attach the filter to every logger of those libraries imported so far."""
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in SECRET_BEARING_LOGGERS:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)


class TokenSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hides tokens on error pages and error reports, with DEBUG on as well.

    Django's filter only works with DEBUG off, so a developer's 500 page would
    print the Harvest token held in the client's frames (`token`, the request
    `headers`). This one is always active, also hides variables and POST fields
    whose names look secret, and reaches into dicts such as those headers.
    """

    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|AUTH|BEARER|COOKIE|CODE", flags=re.I
    )

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> QueryDict | dict:
        parameters = super().get_post_parameters(request)
        if not parameters:
            return parameters
        cleansed = parameters.copy()
        for name in parameters:
            if self.hidden_settings.search(name):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(
        self, request: HttpRequest | None, tb_frame: FrameType
    ) -> list[tuple[str, Any]]:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleanse_setting(name, value)) for name, value in variables]
