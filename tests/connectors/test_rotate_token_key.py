"""rotate_token_key re-encrypts every token under the new first key."""

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db

from connectors.crypto import _fernet
from connectors.models import Connection
from tests.connectors.conftest import CANARY


def raw_tokens(pk: int) -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM connectors_connection WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def test_it_reencrypts_tokens_under_the_first_key(settings, connection, pat_connection):
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]
    _fernet.cache_clear()

    call_command("rotate_token_key")

    access_cipher, refresh_cipher = raw_tokens(connection.pk)
    new_only = Fernet(new_key.encode())
    assert new_only.decrypt(access_cipher.encode()).decode() == CANARY
    assert new_only.decrypt(refresh_cipher.encode()).decode() == "refresh-" + CANARY
    assert raw_tokens(pat_connection.pk)[1] == ""

    settings.TOKEN_ENCRYPTION_KEYS = [new_key]
    _fernet.cache_clear()
    assert Connection.objects.get(pk=connection.pk).access_token == CANARY
    assert Connection.objects.get(pk=pat_connection.pk).access_token == CANARY
