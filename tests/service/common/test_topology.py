"""The topology publishers declare says exactly what each service consumes."""

import importlib

import pytest

from services.common import keys
from services.common.events.topology import CONSUMERS
from tests.support import settings_for

SERVICES = ["auth", "families", "reservations", "billing", "notifier"]


@pytest.mark.parametrize("service", SERVICES)
def test_the_topology_lists_every_event_a_service_consumes(service: str) -> None:
    app_module = importlib.import_module(f"services.{service}.app")
    settings_module = importlib.import_module(f"services.{service}.settings")
    app = app_module.create_app(settings=settings_for(settings_module.Settings))
    consumed = set(app[keys.HANDLERS](app)) if keys.HANDLERS in app else set()
    assert consumed == set(CONSUMERS.get(service, ())), service
