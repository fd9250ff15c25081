"""The rules of an import, apart from the database: which picture of a file is read,
where its boxes land on the reference, and how labels become zone names and folders."""

from __future__ import annotations

import pytest

from api import errors
from api.services.models.foreign import choose_entry, folder_for, place, zone_names
from api.services.models.importers.shapes import Box, Entry, Skipped
from api.storage.names import normalize_folder


def entry(name: str | None, *labels: str, **fields: object) -> Entry:
    return Entry(
        name=name,
        boxes=tuple(Box(label, 10, 10, 20, 20) for label in labels),
        **fields,  # type: ignore[arg-type]
    )


# --- which picture --------------------------------------------------------------------------


def test_the_entry_named_like_the_picture_is_chosen() -> None:
    entries = [entry("a.png", "x"), entry("scans/b.png", "y"), entry("c.png", "z")]
    chosen, note = choose_entry(entries, "b.png")
    assert chosen is entries[1] and note is None
    chosen, _ = choose_entry(entries, "C:\\Users\\me\\C.PNG")  # a path, another case
    assert chosen is entries[2]


def test_an_alias_names_the_entry_too() -> None:
    uploaded = Entry(
        name="5e7a1b2c-invoice.png", boxes=(Box("t", 1, 1, 1, 1),), aliases=("invoice.png",)
    )
    chosen, note = choose_entry([entry("other.png", "x"), uploaded], "invoice.png")
    assert chosen is uploaded and note is None


def test_the_only_entry_is_chosen_whatever_its_name_with_a_note() -> None:
    only = entry("scan-0001.png", "x")
    chosen, note = choose_entry([only], "reference.png")
    assert chosen is only
    assert note is not None and "'scan-0001.png'" in note and "'reference.png'" in note
    assert choose_entry([only], None) == (only, None)


def test_the_only_entry_with_shapes_is_chosen_among_empty_ones() -> None:
    drawn = Entry(name="b.png", boxes=(), skipped=(Skipped("s", "a polygon"),))
    chosen, _ = choose_entry([entry("a.png"), drawn, entry("c.png")], "z.png")
    assert chosen is drawn


def test_several_candidates_and_no_match_is_a_422_naming_them() -> None:
    entries = [entry(f"page-{n}.png", "x") for n in range(1, 13)]
    with pytest.raises(errors.AmbiguousImport) as caught:
        choose_entry(entries, "invoice.png")
    detail = caught.value.detail
    assert "12 pictures" in detail and "'invoice.png'" in detail
    assert "'page-1.png'" in detail and "'page-10.png'" in detail and "and 2 more" in detail
    with pytest.raises(errors.AmbiguousImport, match="none is chosen"):
        choose_entry(entries[:2], None)


def test_two_entries_of_the_same_name_are_ambiguous() -> None:
    with pytest.raises(errors.AmbiguousImport, match=r"2 pictures named 'a\.png'"):
        choose_entry([entry("x/a.png", "1"), entry("y/a.png", "2")], "a.png")


def test_a_file_drawing_nothing_anywhere_is_nothing_to_import() -> None:
    with pytest.raises(errors.NothingToImport):
        choose_entry([entry("a.png"), entry("b.png")], "c.png")


# --- where the boxes land -----------------------------------------------------------------


def test_pixels_stay_pixels_and_are_clipped_to_the_picture() -> None:
    boxes = (
        Box("inside", 10.4, 20.6, 30, 40),
        Box("past right", 380, 10, 50, 20),
        Box("outside", 500, 10, 50, 20),
        Box("flat", 10, 10, 0, 20),
        Box("sliver", 100.2, 10, 0.2, 20),
    )
    placed, skipped, note = place(Entry(name="a.png", boxes=boxes), [(400, 300)])
    assert note is None
    assert [(p.label, p.x, p.y, p.width, p.height) for p in placed] == [
        ("inside", 10, 21, 30, 40),
        ("past right", 380, 10, 20, 20),
    ]
    assert placed[0].clipped is None
    assert placed[1].clipped == "it reached past the picture's right edge; cut back to it"
    assert [(s.label, s.reason) for s in skipped] == [
        ("outside", "it lies outside the picture (400x300 pixels)"),
        ("flat", "it has no area"),
        ("sliver", "it is less than a pixel wide or high"),
    ]


def test_pixels_of_a_picture_of_another_size_are_scaled_with_a_note() -> None:
    drawn_on = Entry(name="a.png", boxes=(Box("t", 100, 50, 200, 100),), size=(800, 600))
    placed, _, note = place(drawn_on, [(400, 300)])
    assert [(p.x, p.y, p.width, p.height) for p in placed] == [(50, 25, 100, 50)]
    assert note is not None and "800x600" in note and "400x300" in note


def test_a_picture_of_another_shape_is_a_422() -> None:
    drawn_on = Entry(name="a.png", boxes=(Box("t", 1, 1, 2, 2),), size=(300, 400))
    with pytest.raises(errors.ValidationFailed, match="another shape"):
        place(drawn_on, [(400, 300)])


def test_percent_of_the_picture_needs_no_size() -> None:
    percent = Entry(name="a", boxes=(Box("t", 10, 10, 30, 20),), units="percent", size=(800, 600))
    placed, _, note = place(percent, [(400, 300)])
    assert [(p.x, p.y, p.width, p.height) for p in placed] == [(40, 30, 120, 60)]
    assert note is None  # percent lands the same whatever the size


def test_pdf_points_land_at_200_dpi_on_their_page() -> None:
    points = Entry(
        name=None,
        boxes=(Box("", 14.4, 10.8, 43.2, 21.6, page=2), Box("", 0, 0, 10, 10, page=3)),
        units="points",
    )
    placed, skipped, _ = place(points, [(400, 300), (400, 300)])
    assert [(p.page, p.x, p.y, p.width, p.height) for p in placed] == [(2, 40, 30, 120, 60)]
    assert skipped == [Skipped("", "it is on page 3; the reference has 2 pages")]


# --- names and folders --------------------------------------------------------------------


def test_labels_become_unique_names_and_shared_folders() -> None:
    named, renamed = zone_names(["total", "Total", "total", "", "sig\u202enature", "x" * 150])
    assert named == [
        ("total", "total"),
        ("Total 2", "Total"),
        ("total 3", "total"),
        ("zone 4", "zone 4"),
        ("sig nature", "sig_nature"),
        ("x" * 100, "x" * 150),
    ]
    assert [(r.field, r.original, r.given) for r in renamed] == [
        ("name", "Total", "Total 2"),
        ("name", "total", "total 3"),
        ("name", "", "zone 4"),
        ("name", "sig\u202enature", "sig nature"),
        ("folder", "sig\u202enature", "sig_nature"),
        ("name", "x" * 150, "x" * 100),
    ]
    assert "unique regardless of case" in renamed[0].reason
    assert renamed[2].reason == "the file gives it no label"
    assert "text-direction" in renamed[4].reason


@pytest.mark.parametrize(
    ("label", "folder"),
    [
        ("invoices/totals", "invoices/totals"),
        ("Total: €", "Total_€"),
        ("../../etc/passwd", "etc/passwd"),
        ("/abs/path", "abs/path"),
        ("a\\b", "a/b"),
        ("CON", "_CON"),
        ("a/b/c/d/e/f/g", "a/b/c/d/e"),
        ("..", "zones"),
        ("é" * 200, "é" * 127),
    ],
)
def test_a_label_becomes_a_valid_folder(label: str, folder: str) -> None:
    made, problem = folder_for(label)
    assert made == folder and normalize_folder(made) == made
    assert (problem is None) == (label == folder)
