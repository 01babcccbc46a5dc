"""`python -m services.families`: serve, migrate, dead letters, seed-demo."""

import sys

from services.common.cli import main
from services.families.app import MIGRATIONS, create_app
from services.families.commands import COMMANDS
from services.families.settings import Settings

if __name__ == "__main__":
    sys.exit(main(create_app=create_app, settings=Settings(), migrations=MIGRATIONS,
                  commands=COMMANDS))
