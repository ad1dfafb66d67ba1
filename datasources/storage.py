"""Where refreshed records live: one Parquet file per data version.

Files go through Django's default storage, so web and workers on different
machines can share them (a local folder by default, S3-compatible storage in
production). Query engines need a local path; versions never change once
written, so a local copy keyed by file name is always valid.
"""

import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from datasources.models import DataVersion

logger = logging.getLogger(__name__)


def local_path(version: DataVersion) -> Path:
    """A local file path holding the version's Parquet file."""
    try:
        return Path(default_storage.path(version.file_name))
    except NotImplementedError:
        # Remote storage: copy it once into the local cache.
        pass

    cached = Path(settings.DATASET_CACHE_DIR) / version.file_name
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".part")
        with (
            default_storage.open(version.file_name, "rb") as remote,
            partial.open("wb") as local,
        ):
            shutil.copyfileobj(remote, local)
        partial.replace(cached)
        logger.info("dataset cached version=%s file=%s", version.pk, version.file_name)
    return cached
