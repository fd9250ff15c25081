"""Rules for every name that touches the disk.

Two kinds of names reach the storage:

* **Folders** chosen by a person (a zone's ``folder``, ``invoices/totals``). They are
  *checked*, never rewritten: :func:`normalize_folder` either returns the canonical form
  or raises :class:`InvalidName` with a message meant for that person.
* **Generated file names** built from data nobody chose with care (an uploaded file's
  name, a zone name, a model name). They are *made safe*: :func:`safe_component`,
  :func:`source_stem` and :func:`render_filename` always return a single component that
  :func:`normalize_folder` would accept as a one-segment folder, so a generated name can
  never leave its folder.

The rules are the intersection of what Linux, macOS and Windows accept, so that an
``outputs/`` tree can be copied, zipped and unzipped anywhere.
"""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import UTC, datetime

__all__ = [
    "DEFAULT_FILENAME_TEMPLATE",
    "FILENAME_FIELDS",
    "MAX_FIELD_BYTES",
    "MAX_FOLDER_SEGMENTS",
    "MAX_SEGMENT_BYTES",
    "MAX_STEM_BYTES",
    "MAX_TEMPLATE_LENGTH",
    "InvalidName",
    "check_extension",
    "check_file_name",
    "normalize_folder",
    "numbered_file_name",
    "render_filename",
    "safe_component",
    "source_stem",
    "split_file_path",
    "validate_template",
]

MAX_FOLDER_SEGMENTS = 5
MAX_SEGMENT_BYTES = 255
MAX_TEMPLATE_LENGTH = 200
# A rendered stem leaves room for a "-NNN" collision suffix and a ".jpeg"/".webp" extension.
MAX_STEM_BYTES = MAX_SEGMENT_BYTES - len("-NNN") - len(".jpeg")
# Each value put into a template is cut to this many bytes first, so that one long value
# (a long upload name) cannot push the others (the zone name) out of the file name.
MAX_FIELD_BYTES = 100

FILENAME_FIELDS = ("source", "zone", "model", "date", "time", "extraction")
DEFAULT_FILENAME_TEMPLATE = "{source}_{zone}"

# Characters Windows forbids in names; "/" and "\" are separators and handled apart.
_WINDOWS_FORBIDDEN = frozenset('<>:"|?*')
# Invisible characters that reorder how a name is displayed ("gnp.exe" shown as "exe.png");
# the byte-order mark is as invisible and only ever there by accident.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_INVISIBLE = _BIDI_CONTROLS | {"\ufeff"}
# Unicode line/paragraph separators behave like newlines in most tools.
_LINE_SEPARATORS = frozenset("\u2028\u2029")
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"]
)
_DRIVE = re.compile(r"^[A-Za-z]:")
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,10}")
_SHOWN_CHARS = 60


class InvalidName(ValueError):
    """A folder, file name or filename template that breaks the name rules.

    ``str(error)`` is a sentence meant for the person who typed the name; it is safe to
    return as the ``detail`` of a 422 problem.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _show(text: str) -> str:
    """Quote ``text`` for a message, with invisible characters escaped and long text cut."""
    shown = "".join(
        ch if ch.isprintable() and ch not in _INVISIBLE else f"\\u{ord(ch):04x}" for ch in text
    )
    if len(shown) > _SHOWN_CHARS:
        shown = shown[: _SHOWN_CHARS - 1] + "\u2026"
    return f"'{shown}'"


def _is_unsafe_char(ch: str) -> bool:
    """Whether ``ch`` may never appear in a name (separators included)."""
    if ch in "/\\" or ch in _WINDOWS_FORBIDDEN or ch in _INVISIBLE or ch in _LINE_SEPARATORS:
        return True
    # Cc: C0 controls, DEL and C1 controls; Cs: lone surrogates (not encodable as UTF-8).
    return unicodedata.category(ch) in ("Cc", "Cs")


def _is_reserved(name: str) -> bool:
    """Whether Windows reserves ``name`` as a device (``CON``, ``con.txt``, ``LPT1.tar.gz``)."""
    base = name.split(".", 1)[0].rstrip(" ")
    return base.upper() in _WINDOWS_RESERVED


def _segment_problem(segment: str, kind: str) -> str | None:
    """Why ``segment`` (already NFC) is not acceptable as one path component, or None."""
    if not segment:
        return f"{kind} must not be empty"
    if segment in (".", ".."):
        return f"{kind} {_show(segment)} is not allowed"
    for ch in segment:
        if ch in "/\\":
            return f"{kind} {_show(segment)} must not contain '{ch}'"
        if ch in _BIDI_CONTROLS:
            return f"{kind} {_show(segment)} contains an invisible text-direction character"
        if ch in _INVISIBLE:
            return f"{kind} {_show(segment)} contains an invisible byte-order mark"
        if ch in _LINE_SEPARATORS or unicodedata.category(ch) == "Cc":
            return f"{kind} {_show(segment)} contains a control character"
        if unicodedata.category(ch) == "Cs":
            return f"{kind} {_show(segment)} contains an invalid character"
        if ch in _WINDOWS_FORBIDDEN:
            return f"{kind} {_show(segment)} contains '{ch}', which is not allowed in names"
    if segment.startswith("."):
        return f"{kind} {_show(segment)} must not start with a dot"
    if segment[0].isspace():
        return f"{kind} {_show(segment)} must not start with a space"
    if segment.endswith(".") or segment[-1].isspace():
        return f"{kind} {_show(segment)} must not end with a dot or a space"
    if _is_reserved(segment):
        return f"{kind} {_show(segment)} is a reserved name on Windows"
    size = len(segment.encode("utf-8"))
    if size > MAX_SEGMENT_BYTES:
        return (
            f"{kind} {_show(segment)} is {size} bytes long; "
            f"at most {MAX_SEGMENT_BYTES} bytes (UTF-8) are allowed"
        )
    return None


def normalize_folder(folder: str) -> str:
    """Check a relative output folder and return its canonical form (``a/b``).

    The folder is NFC-normalised and then checked, never silently repaired: an empty
    folder, an absolute path (``/etc``, ``C:``), a backslash, a leading or trailing ``/``,
    an empty segment (``a//b``), more than :data:`MAX_FOLDER_SEGMENTS` segments, or any
    segment that is ``.``/``..``, holds a control, text-direction or Windows-forbidden
    character (``<>:"|?*``), starts with a dot or a space, ends with a dot or a space, is a
    Windows device name (``CON``, ``nul.txt``, ``COM1``…) or is longer than
    :data:`MAX_SEGMENT_BYTES` bytes of UTF-8 raises :class:`InvalidName`.
    """
    text = unicodedata.normalize("NFC", folder)
    if not text.strip():
        raise InvalidName("folder must not be empty")
    if text.startswith("/"):
        raise InvalidName(f"folder {_show(text)} must be a relative path, not an absolute one")
    if _DRIVE.match(text):
        raise InvalidName(f"folder {_show(text)} must be a relative path, not a drive")
    if "\\" in text:
        raise InvalidName(f"folder {_show(text)} must separate segments with '/', not '\\'")
    if text.endswith("/"):
        raise InvalidName(f"folder {_show(text)} must not end with '/'")
    segments = text.split("/")
    if "" in segments:
        raise InvalidName(f"folder {_show(text)} has an empty segment")
    if len(segments) > MAX_FOLDER_SEGMENTS:
        raise InvalidName(
            f"folder {_show(text)} has {len(segments)} segments; "
            f"at most {MAX_FOLDER_SEGMENTS} are allowed"
        )
    for segment in segments:
        problem = _segment_problem(segment, "folder segment")
        if problem is not None:
            raise InvalidName(problem)
    return text


def check_file_name(name: str) -> str:
    """Check one file name (``scan_total.png``) by the segment rules; return it NFC.

    Raises :class:`InvalidName` when the name could not be a single safe component.
    """
    text = unicodedata.normalize("NFC", name)
    if not text:
        raise InvalidName("file name must not be empty")
    problem = _segment_problem(text, "file name")
    if problem is not None:
        raise InvalidName(problem)
    return text


def split_file_path(path: str) -> tuple[str, str]:
    """Split a stored file's path ``folder/sub/name.png`` into ``(folder, name)``.

    Both parts are checked and returned in canonical form. A file always lives in a
    folder, so a bare name raises :class:`InvalidName` like any other bad path.
    """
    text = unicodedata.normalize("NFC", path)
    folder, sep, name = text.rpartition("/")
    if not sep or not folder:
        raise InvalidName(f"path {_show(text)} must have the form 'folder/name'")
    if "\\" in name:
        raise InvalidName(f"path {_show(text)} must separate segments with '/', not '\\'")
    return normalize_folder(folder), check_file_name(name)


def check_extension(ext: str) -> str:
    """Check a file extension (``png``; a leading dot is accepted) and return it dotless."""
    bare = ext[1:] if ext.startswith(".") else ext
    if not _EXTENSION.fullmatch(bare):
        raise InvalidName(f"extension {_show(ext)} must be 1 to 10 letters or digits")
    return bare


def numbered_file_name(stem: str, ext: str, number: int) -> str:
    """The ``number``-th candidate name for a new file: ``stem.ext``, ``stem-2.ext``…

    The stem is cut on a character boundary when needed so that the whole name fits
    :data:`MAX_SEGMENT_BYTES`; ``stem`` and ``ext`` are expected to be checked already.
    """
    tail = f".{ext}" if number <= 1 else f"-{number}.{ext}"
    return _cut_to_bytes(stem, MAX_SEGMENT_BYTES - len(tail.encode("utf-8"))) + tail


def _cut_to_bytes(text: str, budget: int) -> str:
    """The longest NFC prefix of ``text`` that is at most ``budget`` bytes of UTF-8."""
    encoded = text.encode("utf-8")
    if len(encoded) <= budget:
        return text
    # Dropping the partial trailing character keeps the cut on a character boundary.
    cut = encoded[:budget].decode("utf-8", errors="ignore")
    while True:
        normal = unicodedata.normalize("NFC", cut)
        if len(normal.encode("utf-8")) <= budget:
            return normal
        cut = cut[:-1]


def _strip_ends(text: str, *, unsafe_too: bool = False) -> str:
    """``text`` without leading and trailing dots and whitespace (and unsafe characters)."""

    def trimmed(ch: str) -> bool:
        return ch == "." or ch.isspace() or (unsafe_too and _is_unsafe_char(ch))

    start, end = 0, len(text)
    while start < end and trimmed(text[start]):
        start += 1
    while end > start and trimmed(text[end - 1]):
        end -= 1
    return text[start:end]


def _finish_component(text: str, *, fallback: str, max_bytes: int) -> str:
    """Make already-joined text one safe component of at most ``max_bytes`` bytes."""
    cleaned = "".join("_" if _is_unsafe_char(ch) else ch for ch in text)
    for _ in range(3):  # each pass can only shorten; three settle every case
        cleaned = _strip_ends(cleaned)
        if _is_reserved(cleaned):
            cleaned = "_" + cleaned
        cleaned = _cut_to_bytes(cleaned, max_bytes)
    cleaned = _strip_ends(cleaned)
    if not cleaned or _segment_problem(cleaned, "name") is not None:
        return fallback
    return cleaned


def safe_component(text: str, *, fallback: str = "file", max_bytes: int = MAX_SEGMENT_BYTES) -> str:
    """Turn any text (a file name's stem, a zone name) into one safe file-name component.

    Path parts are dropped (everything up to the last ``/`` or ``\\``), the text is
    NFC-normalised, runs of whitespace and unsafe characters (controls, text-direction
    marks, ``<>:"|?*``) become one ``_`` (at the ends they just go, as do dots), a
    Windows device name gets a ``_`` prefix (``CON`` -> ``_CON``), and the result is cut to
    ``max_bytes`` bytes of UTF-8 on a character boundary. When nothing is left, the
    ``fallback`` (made safe the same way) is returned. The result is always accepted by
    :func:`normalize_folder` as a one-segment folder, and ``safe_component`` is
    idempotent. ``max_bytes`` below 1 raises :class:`ValueError`.
    """
    if max_bytes < 1:
        raise ValueError("max_bytes must be at least 1")
    text = unicodedata.normalize("NFC", text)
    text = re.split(r"[/\\]", text)[-1]
    text = _strip_ends(text, unsafe_too=True)
    pieces: list[str] = []
    in_run = False
    for ch in text:
        if ch.isspace() or _is_unsafe_char(ch):
            if not in_run:
                pieces.append("_")
            in_run = True
        else:
            pieces.append(ch)
            in_run = False
    safe = _finish_component("".join(pieces), fallback="", max_bytes=max_bytes)
    if safe:
        return safe
    # "file" always survives, so this recursion ends at the latest one level down.
    return safe_component(fallback, max_bytes=max_bytes)


def source_stem(filename: str | None) -> str:
    """The ``{source}`` of an uploaded file: its stem, path parts dropped, made safe.

    ``../../etc/passwd.png`` -> ``passwd``; ``C:\\x\\scan.JPG`` -> ``scan``; a missing or
    empty name -> ``upload``. Only the last extension goes (``a.tar.gz`` -> ``a.tar``); a
    name that is only an extension (``.png``) keeps it as the stem (``png``).
    """
    if not filename:
        return "upload"
    text = unicodedata.normalize("NFC", filename)
    text = re.split(r"[/\\]", text)[-1]
    text = _DRIVE.sub("", text)
    stem, dot, _ext = text.rpartition(".")
    if not dot or not _strip_ends(stem):
        stem = text
    return safe_component(stem, fallback="upload")


def validate_template(template: str) -> str:
    """Check a model's ``filename_template`` and return it NFC-normalised.

    A template is literal text with ``{field}`` placeholders taken from
    :data:`FILENAME_FIELDS`; ``{{`` and ``}}`` stand for literal braces. Unknown fields,
    positional ``{}``, format specs or conversions (``{date:%Y}``, ``{zone!r}``), unbalanced
    braces, ``/`` or ``\\``, controls and Windows-forbidden characters, an empty template,
    one that renders an empty name, and one longer than :data:`MAX_TEMPLATE_LENGTH`
    characters raise :class:`InvalidName`.
    """
    text = unicodedata.normalize("NFC", template)
    if not text.strip():
        raise InvalidName("filename template must not be empty")
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise InvalidName(
            f"filename template is {len(text)} characters long; "
            f"at most {MAX_TEMPLATE_LENGTH} are allowed"
        )
    if "/" in text or "\\" in text:
        raise InvalidName(
            "filename template must not contain '/' or '\\'; choose the folder on the zone"
        )
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise InvalidName(f"filename template {_show(text)} has unbalanced braces") from exc
    known = ", ".join("{" + field + "}" for field in FILENAME_FIELDS)
    literal = ""
    has_field = False
    for text_part, field, spec, conversion in parts:
        literal += text_part
        if field is None:
            continue
        if field not in FILENAME_FIELDS:
            raise InvalidName(
                f"filename template has an unknown field {_show('{' + field + '}')}; use {known}"
            )
        if spec or conversion:
            raise InvalidName(
                f"field {_show('{' + field + '}')} in the filename template must not have "
                "a format spec or a conversion"
            )
        has_field = True
    for ch in literal:
        if _is_unsafe_char(ch):
            raise InvalidName(
                f"filename template {_show(text)} contains {_show(ch)}, "
                "which is not allowed in names"
            )
    if not has_field and not _strip_ends(literal):
        raise InvalidName(f"filename template {_show(text)} renders an empty name")
    return text


def render_filename(
    template: str,
    *,
    source: str,
    zone: str,
    model: str,
    extraction: str,
    moment: datetime,
) -> str:
    """Render a file stem (no extension) from a model's ``filename_template``.

    Every value is made safe with :func:`safe_component` and cut to
    :data:`MAX_FIELD_BYTES` first; ``{date}`` is ``YYYY-MM-DD`` and ``{time}`` ``HHMMSS``,
    both in UTC (a naive ``moment`` is taken as UTC). The stem is at most
    :data:`MAX_STEM_BYTES` bytes, so that a ``-NNN`` suffix and a 5-byte extension still
    fit a 255-byte name. The template is validated (:class:`InvalidName`).
    """
    valid = validate_template(template)
    when = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    values = {
        "source": safe_component(source, fallback="source", max_bytes=MAX_FIELD_BYTES),
        "zone": safe_component(zone, fallback="zone", max_bytes=MAX_FIELD_BYTES),
        "model": safe_component(model, fallback="model", max_bytes=MAX_FIELD_BYTES),
        "extraction": safe_component(extraction, fallback="extraction", max_bytes=MAX_FIELD_BYTES),
        "date": when.strftime("%Y-%m-%d"),
        "time": when.strftime("%H%M%S"),
    }
    rendered = "".join(
        text_part + (values[field] if field is not None else "")
        for text_part, field, _spec, _conversion in string.Formatter().parse(valid)
    )
    return _finish_component(rendered, fallback="file", max_bytes=MAX_STEM_BYTES)
