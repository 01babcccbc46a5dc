"""`python -m gateway`: serve the pages and the parent API."""

import sys

from gateway.app import create_app
from gateway.settings import Settings
from services.common.log import setup_logging
from services.common.web import run


def main() -> int:
    settings = Settings()
    setup_logging(settings.service_name, settings.log_level)
    return run(create_app(settings=settings), host=settings.host, port=settings.port,
               workers=settings.workers)


if __name__ == "__main__":
    sys.exit(main())
