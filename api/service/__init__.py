"""The nichegraph HTTP service: precomputed rankings served from an in-memory snapshot.

Start it with ``nichegraph serve --store STORE``; build it in Python with
:func:`create_app` (settings from :func:`load_settings`).
"""

from __future__ import annotations

from .app import create_app
from .settings import Settings, load_settings

__all__ = ["Settings", "create_app", "load_settings"]
