"""Versions recorded with every run: nanotui, Python, the SDKs and the price data.

Read from package metadata, never by importing the SDKs (importing anthropic takes ~1 s).
"""

from __future__ import annotations

import hashlib
import platform
from functools import lru_cache
from importlib import metadata, resources

COMPONENTS = ("openai", "anthropic", "ollama", "genai-prices", "xllamacpp")


@lru_cache(maxsize=1)
def price_data() -> str:
    """genai-prices' version and a fingerprint of its bundled price table (prices can be
    patched without a version bump in a fork or vendored copy)."""
    try:
        version = metadata.version("genai-prices")
    except metadata.PackageNotFoundError:
        return "genai-prices (not installed)"
    try:
        digest = hashlib.sha256(resources.files("genai_prices").joinpath("data.py").read_bytes()).hexdigest()
    except (OSError, ModuleNotFoundError):
        return f"genai-prices {version} bundled data"
    return f"genai-prices {version} bundled data (sha256 {digest[:12]})"


@lru_cache(maxsize=1)
def component_versions() -> dict[str, str]:
    from nanotui import __version__

    out = {"nanotui": __version__, "python": platform.python_version()}
    for dist in COMPONENTS:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    out["price_data"] = price_data()
    return dict(out)
