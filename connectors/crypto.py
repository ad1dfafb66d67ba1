"""Encryption at rest for Harvest tokens (cryptography's MultiFernet).

TOKEN_ENCRYPTION_KEYS is a comma-separated list of Fernet keys: the first
encrypts, all of them decrypt, so a new key can be put in front and
`manage.py rotate_token_key` re-encrypts every row under it.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.TOKEN_ENCRYPTION_KEYS))


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt(cipher: str) -> str:
    try:
        return fernet().decrypt(cipher.encode()).decode()
    except InvalidToken:
        # Never include the ciphertext: it is useless to a reader and long.
        raise ValueError("A stored token cannot be decrypted with any key") from None


def rotate(cipher: str) -> str:
    return fernet().rotate(cipher.encode()).decode()


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; Python code only ever sees plain text."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
