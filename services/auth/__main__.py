"""`python -m services.auth`: serve, migrate, dead letters, create-staff, seed-demo."""

import sys

from services.auth.app import MIGRATIONS, create_app
from services.auth.commands import COMMANDS
from services.auth.settings import Settings
from services.auth.signing import SigningKeyError
from services.common.cli import main

if __name__ == "__main__":
    try:
        sys.exit(main(create_app=create_app, settings=Settings(), migrations=MIGRATIONS,
                      commands=COMMANDS))
    except SigningKeyError as exc:
        # A configuration error, not a crash: one clear line, no traceback.
        print(f"auth: {exc}", file=sys.stderr)
        sys.exit(2)
