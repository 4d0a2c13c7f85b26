"""comments: thin adapters over the services."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["comments"])
