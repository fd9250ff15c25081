"""The rules for names that touch the disk (api.storage.names)."""

from __future__ import annotations

import contextlib
import ntpath
import posixpath
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from api.storage.names import (
    DEFAULT_FILENAME_TEMPLATE,
    FILENAME_FIELDS,
    MAX_FIELD_BYTES,
    MAX_FOLDER_SEGMENTS,
    MAX_SEGMENT_BYTES,
    MAX_STEM_BYTES,
    InvalidName,
    check_extension,
    check_file_name,
    normalize_folder,
    numbered_file_name,
    render_filename,
    safe_component,
    source_stem,
    split_file_path,
    validate_template,
)

MOMENT = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
SEPARATORS = ("/", "\\")

# -- strategies ------------------------------------------------------------------------

# Any text, lone surrogates included (they reach Python from undecodable file names).
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)
# Pieces that trip the rules, mixed with ordinary text so that some results pass.
ugly_piece = st.sampled_from(
    [
        "/",
        "//",
        "\\",
        ".",
        "..",
        " ",
        ":",
        "C:",
        "\x00",
        "\x1f",
        "\x7f",
        "\x85",
        "\u202e",
        "\u2066",
        "\ufeff",
        "\u2028",
        "CON",
        "nul.txt",
        "com1",
        "e\u0301",
        "\u00e9",
        "\u212b",
        "<",
        "?",
        "*",
        '"',
        "|",
        "~",
        "a",
        "b",
        "_",
        "-",
    ]
)
valid_segment = st.text(min_size=1, max_size=30).map(safe_component)
folder_like = st.one_of(
    st.lists(st.one_of(ugly_piece, any_text), max_size=12).map("".join),
    # segment by segment, so that a good share of the folders pass
    st.lists(st.one_of(valid_segment, ugly_piece), min_size=1, max_size=7).map("/".join),
)
valid_folder = st.lists(valid_segment, min_size=1, max_size=MAX_FOLDER_SEGMENTS).map("/".join)
template_like = st.lists(
    st.one_of(
        st.sampled_from([*("{" + field + "}" for field in FILENAME_FIELDS), "{{", "}}"]),
        ugly_piece,
        st.text(max_size=5),
    ),
    max_size=10,
).map("".join)


def _assert_single_safe_component(name: str) -> None:
    assert name
    assert not any(sep in name for sep in SEPARATORS)
    assert len(name.encode("utf-8")) <= MAX_SEGMENT_BYTES
    assert normalize_folder(name) == name
    assert check_file_name(name) == name


# -- normalize_folder: properties ------------------------------------------------------


@given(folder_like)
@example("../etc")
@example("a/../../b")
@example("C:/Windows")
@example("\\\\server\\share")
def test_accepted_folder_stays_inside_the_root(text: str) -> None:
    try:
        folder = normalize_folder(text)
    except InvalidName:
        return
    for path in (posixpath, ntpath):
        root = path.join("outputs", "root")
        joined = path.normpath(path.join(root, folder))
        assert path.commonpath([root, joined]) == root
        assert joined != root
    segments = folder.split("/")
    assert 1 <= len(segments) <= MAX_FOLDER_SEGMENTS
    assert all(0 < len(s.encode("utf-8")) <= MAX_SEGMENT_BYTES for s in segments)
    assert unicodedata.is_normalized("NFC", folder)


@given(st.one_of(folder_like, valid_folder))
def test_normalize_folder_is_idempotent(text: str) -> None:
    try:
        folder = normalize_folder(text)
    except InvalidName:
        return
    assert normalize_folder(folder) == folder


@given(valid_folder)
def test_folders_of_safe_components_are_accepted_as_they_are(folder: str) -> None:
    assert normalize_folder(folder) == folder


# -- normalize_folder: explicit cases ---------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("signatures", "signatures"),
        ("invoices/totals", "invoices/totals"),
        ("a/b/c/d/e", "a/b/c/d/e"),
        ("caf\u00e9", "caf\u00e9"),
        ("cafe\u0301", "caf\u00e9"),  # NFD input is accepted and stored NFC
        ("\u212b", "\u00c5"),  # ANGSTROM SIGN -> LATIN CAPITAL A WITH RING
        ("x" * MAX_SEGMENT_BYTES, "x" * MAX_SEGMENT_BYTES),
        ("\u00e9" * 127, "\u00e9" * 127),  # 254 bytes
        ("my photos", "my photos"),
        ("a.b", "a.b"),
        ("_CON", "_CON"),
        ("CONSOLE", "CONSOLE"),
        ("COM10", "COM10"),
        ("~user", "~user"),
        (
            "\u65e5\u672c/\u0645\u0631\u062d\u0628\u0627",
            "\u65e5\u672c/\u0645\u0631\u062d\u0628\u0627",
        ),
    ],
)
def test_normalize_folder_accepts(folder: str, expected: str) -> None:
    assert normalize_folder(folder) == expected


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("..", "'..' is not allowed"),
        (".", "'.' is not allowed"),
        ("../x", "'..' is not allowed"),
        ("a/../b", "'..' is not allowed"),
        ("a/./b", "'.' is not allowed"),
        ("..\\x", "not '\\'"),
        ("a\\b", "not '\\'"),
        ("/etc", "not an absolute one"),
        ("//server/share", "not an absolute one"),
        ("/", "not an absolute one"),
        ("C:", "not a drive"),
        ("c:\\windows", "not a drive"),
        ("C:/x", "not a drive"),
        ("a/", "must not end with '/'"),
        ("a//b", "empty segment"),
        ("a/b/c/d/e/f", "6 segments; at most 5"),
        ("x" * (MAX_SEGMENT_BYTES + 1), "256 bytes long"),
        ("\u00e9" * 128, "256 bytes long"),
        ("a/" + "x" * 300, "300 bytes long"),
        ("a\x00b", "control character"),
        ("a\tb", "control character"),
        ("a\nb", "control character"),
        ("a\x7fb", "control character"),
        ("a\x9bb", "control character"),
        ("a\u2028b", "control character"),
        ("photo\u202egnp.exe", "text-direction"),
        ("a\u2067b", "text-direction"),
        ("\ufeffa", "byte-order mark"),
        ("CON", "reserved name"),
        ("con", "reserved name"),
        ("Con.txt", "reserved name"),
        ("nul.tar.gz", "reserved name"),
        ("a/AUX", "reserved name"),
        ("PRN", "reserved name"),
        ("COM1", "reserved name"),
        ("com9", "reserved name"),
        ("LPT1", "reserved name"),
        ("lpt5.png", "reserved name"),
        ("COM\u00b9", "reserved name"),
        ("a.", "must not end with a dot or a space"),
        ("a ", "must not end with a dot or a space"),
        ("a/b./c", "must not end with a dot or a space"),
        ("a\u00a0", "must not end with a dot or a space"),
        (" a", "must not start with a space"),
        (".hidden", "must not start with a dot"),
        (".tmp-abc", "must not start with a dot"),
        ("a<b", "'<'"),
        ("a>b", "'>'"),
        ("ab:c", "':'"),
        ('a"b', "'\"'"),
        ("a|b", "'|'"),
        ("a?b", "'?'"),
        ("a*b", "'*'"),
        ("a\ud800b", "invalid character"),
    ],
)
def test_normalize_folder_rejects(folder: str, message: str) -> None:
    with pytest.raises(InvalidName) as caught:
        normalize_folder(folder)
    assert message in str(caught.value)
    assert caught.value.message == str(caught.value)


def test_invalid_name_is_a_value_error_with_a_readable_message() -> None:
    with pytest.raises(ValueError, match=r"^folder segment '\.\.' is not allowed$"):
        normalize_folder("..")


def test_messages_escape_invisible_characters() -> None:
    with pytest.raises(InvalidName) as caught:
        normalize_folder("a\x00\u202eb")
    assert "\x00" not in str(caught.value)
    assert "\u202e" not in str(caught.value)
    assert "\\u0000" in str(caught.value)


# -- safe_component and source_stem ------------------------------------------------------


@given(any_text)
@example("../../etc/passwd")
@example("..")
@example("CON")
@example("\u202e")
@example(" . ")
def test_safe_component_is_one_safe_segment(text: str) -> None:
    name = safe_component(text)
    _assert_single_safe_component(name)
    assert safe_component(name) == name


@given(any_text, st.integers(min_value=1, max_value=MAX_SEGMENT_BYTES))
def test_safe_component_fits_its_byte_budget(text: str, budget: int) -> None:
    name = safe_component(text, max_bytes=budget)
    assert len(name.encode("utf-8")) <= budget
    _assert_single_safe_component(name)


@given(st.one_of(st.none(), any_text, folder_like))
@example("../../etc/passwd.png")
@example("C:\\x\\scan.JPG")
def test_source_stem_is_one_safe_segment(filename: str | None) -> None:
    _assert_single_safe_component(source_stem(filename))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("signature", "signature"),
        ("Total amount", "Total_amount"),
        ("a \t\n b", "a_b"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("dir/", "file"),
        ("  .hidden.  ", "hidden"),
        ("a<b>c", "a_b_c"),
        ("a:*?b", "a_b"),
        ("a\x00b", "a_b"),
        ("photo\u202egnp.exe", "photo_gnp.exe"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("Lpt1", "_Lpt1"),
        ("cafe\u0301", "caf\u00e9"),
        ("", "file"),
        ("...", "file"),
        ("\x00", "file"),
    ],
)
def test_safe_component(text: str, expected: str) -> None:
    assert safe_component(text) == expected


def test_safe_component_cuts_on_a_character_boundary() -> None:
    assert safe_component("\u00e9" * 200, max_bytes=5) == "\u00e9\u00e9"
    assert safe_component("\U0001f600" * 100) == "\U0001f600" * 63  # 4 bytes each
    assert safe_component("ab.cd", max_bytes=3) == "ab"  # no trailing dot after the cut


def test_safe_component_fallback() -> None:
    assert safe_component("", fallback="zone") == "zone"
    assert safe_component("..", fallback="../bad") == "bad"
    assert safe_component("..", fallback="\x00") == "file"
    with pytest.raises(ValueError, match="max_bytes"):
        safe_component("x", max_bytes=0)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("scan.png", "scan"),
        ("../../etc/passwd.png", "passwd"),
        ("C:\\x\\scan.JPG", "scan"),
        ("C:scan.jpg", "scan"),
        ("/home/me/My Scan (1).jpeg", "My_Scan_(1)"),
        ("archive.tar.gz", "archive.tar"),
        ("noext", "noext"),
        (".png", "png"),
        ("scan.", "scan"),
        ("CON.png", "_CON"),
        ("\u202egnp.exe", "gnp"),
        ("cafe\u0301.png", "caf\u00e9"),
        ("", "upload"),
        (None, "upload"),
        ("...", "upload"),
        ("../", "upload"),
    ],
)
def test_source_stem(filename: str | None, expected: str) -> None:
    assert source_stem(filename) == expected


# -- templates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        DEFAULT_FILENAME_TEMPLATE,
        "{model}-{date}T{time}-{extraction}",
        "{zone}",
        "scan",
        "{{literal}}_{zone}",
        "{source} - {zone}",
        "x" * 200,
    ],
)
def test_validate_template_accepts(template: str) -> None:
    assert validate_template(template) == template


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("", "must not be empty"),
        ("  ", "must not be empty"),
        ("x" * 201, "201 characters long"),
        ("{source}/{zone}", "must not contain '/'"),
        ("{source}\\{zone}", "must not contain '/'"),
        ("../{zone}", "must not contain '/'"),
        ("{nope}", "unknown field '{nope}'"),
        ("{}", "unknown field '{}'"),
        ("{0}", "unknown field '{0}'"),
        ("{source.__class__}", "unknown field"),
        ("{source[0]}", "unknown field"),
        ("{date:%Y}", "format spec"),
        ("{zone!r}", "format spec or a conversion"),
        ("{source:{zone}}", "format spec"),
        ("{source", "unbalanced braces"),
        ("source}", "unbalanced braces"),
        ("{zone}:{source}", "':'"),
        ("{zone}\x00", "\\u0000"),
        ("{zone}\u202e", "\\u202e"),
        ("..", "renders an empty name"),
        (". .", "renders an empty name"),
    ],
)
def test_validate_template_rejects(template: str, message: str) -> None:
    with pytest.raises(InvalidName) as caught:
        validate_template(template)
    assert message in str(caught.value)


def _render(template: str = DEFAULT_FILENAME_TEMPLATE, **values: str) -> str:
    fields = {"source": "scan", "zone": "Total", "model": "Invoice", "extraction": "e1"}
    fields.update(values)
    return render_filename(template, moment=MOMENT, **fields)


def test_render_filename_default_template() -> None:
    assert _render() == "scan_Total"


def test_render_filename_all_fields() -> None:
    assert (
        _render("{model}-{zone}-{source}-{date}-{time}-{extraction}")
        == "Invoice-Total-scan-2024-05-06-070809-e1"
    )


def test_render_filename_uses_utc() -> None:
    plus_two = MOMENT.astimezone(timezone(timedelta(hours=2)))
    stem = render_filename(
        "{date}_{time}", source="s", zone="z", model="m", extraction="e", moment=plus_two
    )
    assert stem == "2024-05-06_070809"
    naive = render_filename(
        "{date}_{time}",
        source="s",
        zone="z",
        model="m",
        extraction="e",
        moment=MOMENT.replace(tzinfo=None),
    )
    assert naive == "2024-05-06_070809"


def test_render_filename_makes_values_safe() -> None:
    assert _render(zone="../../etc/passwd", source="a b") == "a_b_passwd"
    assert _render("{zone}", zone="CON") == "_CON"
    assert _render("{zone}", zone="") == "zone"
    assert _render("{source}", source="\u202e") == "source"


def test_render_filename_keeps_literal_text_and_braces() -> None:
    assert _render("{{x}} {zone}") == "{x} Total"
    assert _render("CON") == "_CON"


def test_render_filename_cuts_long_values_so_every_field_shows() -> None:
    stem = _render(source="s" * 400, zone="z" * 400, model="m" * 400)
    assert stem == "s" * MAX_FIELD_BYTES + "_" + "z" * MAX_FIELD_BYTES
    stem = _render("{source}{zone}{model}", source="s" * 400, zone="z" * 400, model="m" * 400)
    assert len(stem.encode("utf-8")) == MAX_STEM_BYTES


def test_render_filename_rejects_a_bad_template() -> None:
    with pytest.raises(InvalidName):
        _render("{source}/{zone}")


@given(
    template=template_like,
    source=any_text,
    zone=any_text,
    model=any_text,
    extraction=any_text,
    moment=st.datetimes(timezones=st.timezones()),
)
def test_rendered_filenames_never_leave_their_folder(
    template: str, source: str, zone: str, model: str, extraction: str, moment: datetime
) -> None:
    try:
        valid = validate_template(template)
    except InvalidName:
        return
    stem = render_filename(
        valid, source=source, zone=zone, model=model, extraction=extraction, moment=moment
    )
    _assert_single_safe_component(stem)
    assert len(stem.encode("utf-8")) <= MAX_STEM_BYTES
    for number in (1, 2, 999):
        _assert_single_safe_component(numbered_file_name(stem, "jpeg", number))


@given(any_text)
def test_validate_template_only_raises_invalid_name(template: str) -> None:
    with contextlib.suppress(InvalidName):
        validate_template(template)


# -- file names, extensions, paths -----------------------------------------------------


def test_numbered_file_name() -> None:
    assert numbered_file_name("name", "png", 1) == "name.png"
    assert numbered_file_name("name", "png", 2) == "name-2.png"
    assert numbered_file_name("name", "png", 1000) == "name-1000.png"
    long_name = numbered_file_name("\u00e9" * 200, "webp", 12345)
    assert len(long_name.encode("utf-8")) <= MAX_SEGMENT_BYTES
    assert long_name.endswith("-12345.webp")
    check_file_name(long_name)


@pytest.mark.parametrize(("ext", "expected"), [("png", "png"), (".jpeg", "jpeg"), ("WEBP", "WEBP")])
def test_check_extension_accepts(ext: str, expected: str) -> None:
    assert check_extension(ext) == expected


@pytest.mark.parametrize("ext", ["", ".", "..png", "p/g", "png ", "x" * 11, "p\u00e9g", "tar.gz"])
def test_check_extension_rejects(ext: str) -> None:
    with pytest.raises(InvalidName, match="extension"):
        check_extension(ext)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a/name.png", ("a", "name.png")),
        ("a/b/c/d/e/name.png", ("a/b/c/d/e", "name.png")),
        ("cafe\u0301/x\u0301.png", ("caf\u00e9", "x\u0301.png")),
    ],
)
def test_split_file_path(path: str, expected: tuple[str, str]) -> None:
    assert split_file_path(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "name.png",
        "/name.png",
        "/etc/passwd",
        "../name.png",
        "a/../name.png",
        "a/..",
        "a/.",
        "a/",
        "a//b.png",
        "a\\..\\b.png",
        "a/b\\c.png",
        "a/.tmp-123",
        "a/CON.png",
        "a/b/c/d/e/f/name.png",
        "a/x\x00.png",
    ],
)
def test_split_file_path_rejects(path: str) -> None:
    with pytest.raises(InvalidName):
        split_file_path(path)
