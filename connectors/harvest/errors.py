"""Typed failures of the Harvest connector.

Every error carries `user_message`: a sentence safe to show in the UI and to
store on a row. It never contains a token, and callers should never build one
from a URL that might (the client only ever names endpoints by their path).
"""


class HarvestError(Exception):
    default_message = "Harvest could not answer this request."

    def __init__(self, user_message: str | None = None) -> None:
        self.user_message = user_message or self.default_message
        super().__init__(self.user_message)


class TokenInvalid(HarvestError):
    """The token was refused and could not be refreshed: reconnect needed."""

    default_message = (
        "Harvest no longer accepts this connection's token. "
        "Reconnect it to go on reading data."
    )


class AccountUnreachable(HarvestError):
    """The token is fine (Harvest ID accepts it) but the API refused the account.

    Harvest answers 401 for an account id the token cannot reach, exactly as
    for an expired token; this one is not a reason to reconnect.
    """

    default_message = (
        "This connection's Harvest login works, but it cannot reach the Harvest "
        "account this data source reads."
    )


class Throttled(HarvestError):
    default_message = "Harvest's rate limit was reached; try again in a few minutes."

    def __init__(self, user_message: str | None = None, retry_after: float = 0) -> None:
        super().__init__(user_message)
        self.retry_after = retry_after


class HarvestUnavailable(HarvestError):
    default_message = (
        "Harvest could not be reached or answered with a server error. "
        "Try again in a few minutes."
    )


class MalformedResponse(HarvestError):
    default_message = "Harvest sent an answer HarvestDash cannot read."


class Forbidden(HarvestError):
    default_message = "Your Harvest role cannot read this."


class NotFound(HarvestError):
    default_message = "Harvest has no such resource (check the URL and the account)."


class BadRequest(HarvestError):
    default_message = "Harvest refused the request as invalid."


class DisallowedURL(HarvestError):
    default_message = "That URL is not a Harvest API URL HarvestDash may call."


class TooLarge(HarvestError):
    default_message = "Harvest's answer was larger than HarvestDash accepts."
