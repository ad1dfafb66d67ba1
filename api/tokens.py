"""Making, finding and revoking API tokens; the key itself is never stored."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.utils import timezone

from api.models import ApiToken
from workspaces.actions import record
from workspaces.models import Workspace

logger = logging.getLogger(__name__)

KEY_BYTES = 32
PREFIX_LENGTH = 8
# last_used_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(user, workspace: Workspace, name: str = "") -> tuple[ApiToken, str]:
    """A new token and its key; the key is shown to the user once, then gone."""
    key = "hd_" + secrets.token_urlsafe(KEY_BYTES)
    token = ApiToken.objects.create(
        user=user,
        workspace=workspace,
        name=name.strip()[:100],
        key_hash=digest(key),
        prefix=key[:PREFIX_LENGTH],
    )
    record(workspace, user, "api_token.created", f"API token {token.prefix}…")
    logger.info("api token created token=%s user=%s", token.pk, user.pk)
    return token, key


def revoke_token(token: ApiToken) -> None:
    record(
        token.workspace, token.user, "api_token.revoked", f"API token {token.prefix}…"
    )
    logger.info("api token revoked token=%s user=%s", token.pk, token.user_id)
    token.delete()


def find_token(key: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("user", "workspace")
        .filter(key_hash=digest(key))
        .first()
    )
    if token is None:
        return None

    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
