"""Re-encrypt every stored Harvest token under the first TOKEN_ENCRYPTION_KEYS key.

Put the new key in front of the list, restart web and workers, run this, then
drop the old key. MultiFernet.rotate works on ciphertext, so it reads the raw
columns rather than the model field (which would decrypt them).
"""

import logging

from django.core.management.base import BaseCommand
from django.db import connection as db
from django.db import transaction

from connectors.crypto import rotate
from connectors.models import Connection

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Re-encrypt all Harvest tokens under the first key of TOKEN_ENCRYPTION_KEYS."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            rows = _locked_raw_tokens()
            for pk, access_cipher, refresh_cipher in rows:
                _write_raw(pk, _rotated(access_cipher), _rotated(refresh_cipher))

        logger.info("token key rotated connections=%s", len(rows))
        self.stdout.write(f"Re-encrypted the tokens of {len(rows)} connection(s).")


def _rotated(cipher: str | None) -> str | None:
    return rotate(cipher) if cipher else cipher


def _locked_raw_tokens() -> list[tuple]:
    # FOR UPDATE keeps a token refresh from writing between our read and write
    # (SQLite needs none: the transaction already holds the database lock).
    lock = " FOR UPDATE" if db.features.has_select_for_update else ""
    table = db.ops.quote_name(Connection._meta.db_table)
    with db.cursor() as cursor:
        cursor.execute(f"SELECT id, access_token, refresh_token FROM {table}{lock}")  # noqa: S608
        return cursor.fetchall()


def _write_raw(pk: int, access_cipher: str | None, refresh_cipher: str | None) -> None:
    table = db.ops.quote_name(Connection._meta.db_table)
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET access_token = %s, refresh_token = %s WHERE id = %s",  # noqa: S608
            [access_cipher, refresh_cipher, pk],
        )
