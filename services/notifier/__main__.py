"""`python -m services.notifier`: serve, migrate, dead letters."""

import sys

from services.common.cli import main
from services.notifier.app import MIGRATIONS, create_app
from services.notifier.settings import Settings

if __name__ == "__main__":
    sys.exit(main(create_app=create_app, settings=Settings(), migrations=MIGRATIONS))
