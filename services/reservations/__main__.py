"""`python -m services.reservations`: serve, migrate, dead letters, seed-demo."""

import sys

from services.common.cli import main
from services.reservations.app import MIGRATIONS, create_app
from services.reservations.commands import COMMANDS
from services.reservations.settings import Settings

if __name__ == "__main__":
    sys.exit(main(create_app=create_app, settings=Settings(), migrations=MIGRATIONS,
                  commands=COMMANDS))
