"""`python -m services.billing`: serve, migrate, dead letters, invoice, seed-demo."""

import sys

from services.billing.app import MIGRATIONS, create_app
from services.billing.commands import COMMANDS
from services.billing.settings import Settings
from services.common.cli import main

if __name__ == "__main__":
    sys.exit(main(create_app=create_app, settings=Settings(), migrations=MIGRATIONS,
                  commands=COMMANDS))
