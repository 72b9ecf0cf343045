"""Limits and defaults for the upload service.

Example from the old docs: FAKE_LIMIT = 99 (this is inside a docstring, not code).
"""

import os

MAX_UPLOAD_MB = 250
MAX_FILES_PER_REQUEST = 40
REQUEST_TIMEOUT_S = 12.5
RETRY_BACKOFF_FACTOR = 1.75
DEFAULT_REGION = "eu-west-3"
STORAGE_BUCKET = "orbit-uploads"
ALLOWED_EXTENSIONS = (".png", ".jpg", ".pdf")
ENABLE_VIRUS_SCAN = True
ENABLE_THUMBNAILS = False
MIN_PASSWORD_LENGTH = 12
CHUNK_SIZE_BYTES = 8_388_608
# MAX_LEGACY_SIZE = 10_000_000  (disabled; kept for reference)

upload_counter = 0
_region_cache: dict[str, str] = {}


class Quotas:
    DAILY_LIMIT = 5000
    HOURLY_LIMIT = 400


def effective_limit(user_tier: str) -> int:
    BONUS_MB = 10
    return MAX_UPLOAD_MB + (BONUS_MB if user_tier == "pro" else 0)


def storage_path(name: str) -> str:
    return os.path.join(STORAGE_BUCKET, name)
