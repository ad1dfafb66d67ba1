"""Where the Harvest API reference's recorded answers are: shared/ beside the
checkout (as CI lays it), or HARVEST_API_REFERENCE_DIR."""

import os
from pathlib import Path


def fixtures_dir() -> Path:
    """HARVEST_API_REFERENCE_DIR may name shared/, shared/harvest-api or its fixtures."""
    configured = os.environ.get("HARVEST_API_REFERENCE_DIR")
    root = Path(configured) if configured else Path(__file__).resolve().parents[2]
    candidates = [
        root,
        root / "fixtures",
        root / "harvest-api" / "fixtures",
        root / "shared" / "harvest-api" / "fixtures",
    ]
    return next(
        (c for c in candidates if (c / "users_me.json").is_file()), candidates[-1]
    )
