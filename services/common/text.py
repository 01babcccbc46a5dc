"""Text types every service's schemas use: no control character in a single line, none but
line breaks and tabs in a longer text, never a NUL (PostgreSQL refuses it in text).

`SingleLine` (names, labels, address lines, search text…) refuses every control character —
NUL, CR, LF, tab, the rest of C0 and C1, DEL —, the line and paragraph separators, and the
invisible bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069) that can make a name read
backwards on a screen. `Text` (comments, allergies…) allows tabs and line breaks only.
Refine them with the lengths, which apply first (whitespace stripped, then checked):
`Name = Annotated[SingleLine, StringConstraints(strip_whitespace=True, max_length=100)]`.

Each is a pattern (a string constraint), so that it merges with the lengths; a field with a
pattern of its own checks it with a validator instead."""

import re
from typing import Annotated

from pydantic import StringConstraints

# Written with escapes that Python, Rust (pydantic-core) and JavaScript regexes all read alike.
_BIDI = r"\u202a-\u202e\u2066-\u2069"
SINGLE_LINE_PATTERN = rf"^[^\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]*$"
TEXT_PATTERN = rf"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]*$"

SingleLine = Annotated[str, StringConstraints(pattern=SINGLE_LINE_PATTERN)]
Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]

# What a parent reads when a value breaks one of them (services.common.validation).
PATTERN_MESSAGES = {
    SINGLE_LINE_PATTERN: "Ce champ ne doit contenir ni retour à la ligne ni caractère de "
                         "contrôle ou invisible.",
    TEXT_PATTERN: "Ce champ contient un caractère de contrôle ou invisible non autorisé.",
}


_SINGLE_LINE = re.compile(SINGLE_LINE_PATTERN)


def is_single_line(value: str) -> bool:
    """`SingleLine`'s rule for a value read outside a model (a query parameter, a form)."""
    return _SINGLE_LINE.fullmatch(value) is not None
