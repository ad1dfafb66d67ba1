"""Security tests share the isolated files and fast hashing of the other suites."""

import pytest
from django.core.cache import cache

from connectors.ratelimit import shared_limiter


@pytest.fixture(autouse=True)
def isolated_settings(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.DATA_DIR = tmp_path
    settings.DATASET_CACHE_DIR = tmp_path / "dataset-cache"
    settings.RATE_LIMIT_STORE = f"sqlite:///{tmp_path / 'ratelimit.sqlite3'}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    # Local-memory caches outlive a settings change; login limits count there.
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    shared_limiter.cache_clear()
    yield settings
    shared_limiter.cache_clear()
