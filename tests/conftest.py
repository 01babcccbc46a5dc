"""Session-wide clean-up: every database and exchange the run created is removed."""

from collections.abc import AsyncIterator

import pytest

from tests.support import delete_test_exchange, drop_test_databases


@pytest.fixture(scope="session", autouse=True)
async def _clean_up_run() -> AsyncIterator[None]:
    yield
    await drop_test_databases()
    await delete_test_exchange()
