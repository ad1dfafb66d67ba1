"""Keep OAuth libraries from logging secrets, whatever the log level says.

requests-oauthlib and oauthlib write request bodies and tokens at DEBUG
("Prepared refresh token request body ... refresh_token=..."). Settings set
those loggers to WARNING, but a level is easy to lower while debugging; a
filter on the loggers that create the records drops them regardless.
"""

import logging

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
