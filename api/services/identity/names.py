"""Names people read in lists and the audit log (users, API keys): printable, and never
the bootstrap key's.

A name must show what it is. Control characters break log lines, format characters turn
text around (U+202E shows "reganam" for "manager") or join and hide it, and zero-width
and filler characters make two names that look alike different: none of them belongs in
a name. Letters of any script, marks, emoji and plain spaces do.
"""

from __future__ import annotations

import unicodedata

from api import errors
from api.services.identity.credentials import BOOTSTRAP_KEY_NAME

# Invisible characters that are not format characters (``Cf``, refused with the rest of
# what is not printable): the combining grapheme joiner, Khmer's inherent vowels and the
# Hangul fillers.
INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")


def check_name(name: str, field: str, what: str) -> None:
    """422 naming ``field`` when ``name`` holds anything but printable text (spaces
    included); 409 for the bootstrap key's name, in any case."""
    for ch in name:
        if ch != " " and (not ch.isprintable() or ch in INVISIBLE):
            label = unicodedata.name(ch, "a control character").lower()
            message = (
                f"U+{ord(ch):04X} ({label}) is not printable: a {what} name is text that "
                "shows what it is"
            )
            raise errors.validation_failed([errors.FieldError(field=field, message=message)])
    if name.strip().casefold() == BOOTSTRAP_KEY_NAME:
        raise errors.Conflict(
            f"'{BOOTSTRAP_KEY_NAME}' is reserved: it is the name of the ZONECUT_ADMIN_API_KEY"
        )
