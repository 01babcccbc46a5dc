"""Application keys of the reservations service (shared ones live in services.common.keys)."""

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from services.reservations.settings import Settings

SETTINGS = web.AppKey("reservations_settings", Settings)
# The service's clock (UTC): rules are decided at `CLOCK()`; tests may move it.
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("reservations_clock")
