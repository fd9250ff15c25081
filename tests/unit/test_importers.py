"""Other tools' files read: one fixture per format, written by hand from each tool's
documented format (the page is named in each test), detected by content alone.

Every fixture describes the same 400 x 300 picture ``invoice.png``: a ``total`` box at
(40, 30) 120 x 60 and a ``signature`` box at (200, 150) 150 x 90, in the tool's own units,
with shapes that are not zones beside them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from api import errors
from api.services.models.importers import cvat
from api.services.models.importers.detect import is_portable, read_foreign
from api.services.models.importers.shapes import Entry, ForeignFile, Skipped
from api.services.models.importers.via import label_attribute

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
TOTAL = ("total", 40.0, 30.0, 120.0, 60.0)
SIGNATURE = ("signature", 200.0, 150.0, 150.0, 90.0)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def as_json(name: str) -> Any:
    return json.loads(fixture(name))


def dumped(document: Any) -> bytes:
    return json.dumps(document).encode()


def boxes(entry: Entry) -> list[tuple[str, float, float, float, float]]:
    return [
        (
            box.label,
            round(box.left, 6),
            round(box.top, 6),
            round(box.width, 6),
            round(box.height, 6),
        )
        for box in entry.boxes
    ]


# --- VIA ----------------------------------------------------------------------------------


def test_via_project_rectangles_named_by_the_attribute_that_tells_them_apart() -> None:
    """VIA 2 project file as VIA 2.0.10 saves it ("Save project"): `_via_img_metadata`
    with `shape_attributes` {name: rect, x, y, width, height} and `region_attributes`;
    https://www.robots.ox.ac.uk/~vgg/software/via/ (VIA 2 user guide, "Project")."""
    read = read_foreign(fixture("via_project.json"))
    assert read.format == "via" and read.title == "Invoices"
    assert read.label_source == "region attribute 'field'"
    (entry,) = read.entries
    assert entry.name == "invoice.png" and entry.units == "pixels" and entry.size is None
    assert boxes(entry) == [TOTAL, SIGNATURE]
    assert entry.skipped == (
        Skipped("stamp", "a polygon is not a rectangle; only rectangles become zones"),
    )


def test_via_annotations_export_without_the_project_around_it() -> None:
    """VIA 2 "Annotation > Export annotations (as json)": the `_via_img_metadata`
    object alone, keyed by file name and size; https://www.robots.ox.ac.uk/~vgg/software/via/."""
    metadata = as_json("via_project.json")["_via_img_metadata"]
    read = read_foreign(dumped(metadata))
    assert read.format == "via" and read.title is None
    assert boxes(read.entries[0]) == [TOTAL, SIGNATURE]


def test_via_dropdown_options_read_as_their_descriptions() -> None:
    """A dropdown attribute stores the option's id; the project defines its description
    (`_via_attributes.region.<name>.options`), which is the label read."""
    project = as_json("via_project.json")
    for region in project["_via_img_metadata"]["invoice.png48213"]["regions"]:
        del region["region_attributes"]["field"]
    project["_via_img_metadata"]["invoice.png48213"]["regions"].pop()
    read = read_foreign(dumped(project))
    assert read.label_source == "region attribute 'kind'"
    assert [box.label for box in read.entries[0].boxes] == ["amount", "handwriting"]


@pytest.mark.parametrize(
    ("attributes", "chosen"),
    [
        # the attribute that tells regions apart wins over one that does not
        ([{"type": "text", "n": "a"}, {"type": "text", "n": "b"}], "n"),
        # among attributes that tell them apart, a conventional name wins
        ([{"x": "1", "name": "a"}, {"x": "2", "name": "b"}], "name"),
        # none tells them apart: a conventional name, then more distinct values
        ([{"label": "a", "q": "1"}, {"label": "b", "q": "1"}, {"q": "3"}], "label"),
        ([{"q": "1", "r": "x"}, {"q": "2", "r": "x"}, {"r": "y"}], "q"),
        ([{"note": ""}, {"note": ""}], None),
        ([], None),
    ],
)
def test_via_label_attribute_choice(attributes: list[dict[str, str]], chosen: str | None) -> None:
    assert label_attribute(attributes) == chosen


def test_via_regions_without_attributes_and_other_shapes() -> None:
    project = {
        "_via_img_metadata": {
            "a.jpg1": {
                "filename": "a.jpg",
                "size": 1,
                "regions": [
                    {"shape_attributes": {"name": "rect", "x": 1, "y": 2, "width": 3, "height": 4}},
                    {"shape_attributes": {"name": "circle", "cx": 5, "cy": 5, "r": 2}},
                    {"shape_attributes": {"name": "ellipse", "cx": 5, "cy": 5, "rx": 2, "ry": 1}},
                ],
                "file_attributes": {},
            }
        }
    }
    (entry,) = read_foreign(dumped(project)).entries
    assert boxes(entry) == [("", 1.0, 2.0, 3.0, 4.0)]
    assert [s.reason.split(" is ")[0] for s in entry.skipped] == ["a circle", "an ellipse"]


def test_via_rectangle_with_a_missing_coordinate_names_where() -> None:
    project = as_json("via_project.json")
    del project["_via_img_metadata"]["invoice.png48213"]["regions"][1]["shape_attributes"]["y"]
    with pytest.raises(errors.ValidationFailed) as caught:
        read_foreign(dumped(project))
    assert "'invoice.png48213'.regions[1].shape_attributes.y" in caught.value.detail
    assert caught.value.errors and caught.value.errors[0].field == "file"


# --- Label Studio -------------------------------------------------------------------------


def test_label_studio_export_in_percent_with_rotated_and_polygon_results_skipped() -> None:
    """Label Studio JSON export: tasks with `data.image` and `annotations[].result[]`; a
    `rectanglelabels` result has `value.x/y/width/height` in percent (0-100) of
    `original_width`/`original_height` and `value.rotation` in degrees;
    https://labelstud.io/guide/export.html#Label-Studio-JSON-format-of-annotated-tasks
    and https://labelstud.io/tags/rectanglelabels."""
    read = read_foreign(fixture("label_studio_export.json"))
    assert read.format == "label-studio"
    first, second = read.entries
    assert first.name == "5e7a1b2c-invoice.png" and first.aliases == ("invoice.png",)
    assert first.units == "percent" and first.size == (400.0, 300.0)
    assert boxes(first) == [
        ("total", 10.0, 10.0, 30.0, 20.0),
        ("signature", 50.0, 50.0, 37.5, 30.0),
    ]
    assert first.skipped == (
        Skipped("date", "rotated by 15°; zones are upright rectangles"),
        Skipped("stamp", "a polygon is not a rectangle; only rectangles become zones"),
    )
    assert second.name == "9c0d4e1f-receipt.png" and not second.has_shapes


def test_label_studio_cancelled_annotations_and_predictions() -> None:
    """The first annotation not cancelled is read; a task with none falls back on its
    first prediction (https://labelstud.io/guide/task_format)."""
    task = as_json("label_studio_export.json")[0]
    cancelled = copy.deepcopy(task["annotations"][0])
    cancelled["was_cancelled"] = True
    cancelled["result"] = cancelled["result"][:1]
    task["annotations"].insert(0, cancelled)
    (entry,) = read_foreign(dumped([task])).entries
    assert [box.label for box in entry.boxes] == ["total", "signature"]
    task["predictions"] = [{"model_version": "1", "result": task["annotations"][1]["result"][:1]}]
    task["annotations"] = []
    (entry,) = read_foreign(dumped(task)).entries  # one task, as target storage keeps it
    assert [box.label for box in entry.boxes] == ["total"]
    assert entry.notes and "prediction" in entry.notes[0]


def test_label_studio_local_files_url_names_its_file_in_the_query() -> None:
    task = {
        "data": {"image": "/data/local-files/?d=scans/2024/invoice%20A.png"},
        "annotations": [{"result": []}],
    }
    assert read_foreign(dumped([task])).entries[0].name == "invoice A.png"


# --- COCO ---------------------------------------------------------------------------------


def test_coco_bboxes_labelled_by_category_and_segmentation_only_skipped() -> None:
    """COCO object detection format: `images` {id, file_name, width, height},
    `annotations` {image_id, category_id, bbox [x, y, width, height]}, `categories`
    {id, name}; https://cocodataset.org/#format-data."""
    read = read_foreign(fixture("coco.json"))
    assert read.format == "coco" and read.title == "Invoices"
    (entry,) = read.entries
    assert entry.name == "invoice.png" and entry.size == (400.0, 300.0)
    assert boxes(entry) == [TOTAL, SIGNATURE]
    assert entry.skipped == (Skipped("stamp", "it has no bbox, only a segmentation"),)


def test_coco_annotations_go_to_their_image() -> None:
    document = as_json("coco.json")
    document["images"].append(
        {"id": 2, "file_name": "dir/receipt.png", "width": 200, "height": 100}
    )
    document["annotations"][1]["image_id"] = 2
    invoice, receipt = read_foreign(dumped(document)).entries
    assert [box.label for box in invoice.boxes] == ["total"]
    assert receipt.name == "receipt.png" and [box.label for box in receipt.boxes] == ["signature"]


def test_coco_bbox_of_three_numbers_is_refused_naming_it() -> None:
    document = as_json("coco.json")
    document["annotations"][0]["bbox"] = [1, 2, 3]
    with pytest.raises(errors.ValidationFailed, match=r"annotations\[0\]\.bbox"):
        read_foreign(dumped(document))
    document["annotations"][0]["bbox"] = [1, 2, "three", 4]
    with pytest.raises(errors.ValidationFailed, match=r"bbox\[2\]: 'three' is not a number"):
        read_foreign(dumped(document))


# --- CVAT ---------------------------------------------------------------------------------


def test_cvat_boxes_with_rotated_boxes_and_polygons_skipped_and_tags_ignored() -> None:
    """CVAT for images 1.1: `<image name width height>` holding `<box label xtl ytl xbr
    ybr rotation>` in pixels, `<polygon>`, `<tag>`…; https://docs.cvat.ai/docs/other/xml_format."""
    read = read_foreign(fixture("cvat_images.xml"))
    assert read.format == "cvat" and read.title == "Invoices"
    (entry,) = read.entries
    assert entry.name == "scans/invoice.png" and entry.size == (400.0, 300.0)
    assert boxes(entry) == [TOTAL, SIGNATURE]
    assert entry.skipped == (
        Skipped("date", "rotated by 15°; zones are upright rectangles"),
        Skipped("stamp", "a polygon is not a rectangle; only rectangles become zones"),
    )


def test_cvat_rotation_of_a_full_turn_is_upright() -> None:
    xml = fixture("cvat_images.xml").replace(b'rotation="15.0"', b'rotation="360"')
    assert [box.label for box in read_foreign(xml).entries[0].boxes] == [
        "total",
        "signature",
        "date",
    ]


def test_cvat_for_video_is_refused_with_the_export_to_choose() -> None:
    xml = b"""<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version><meta><task><mode>interpolation</mode></task></meta>
<track id="0" label="car" source="manual"><box frame="0" outside="0" occluded="0"
 keyframe="1" xtl="1" ytl="2" xbr="3" ybr="4" z_order="0"/></track></annotations>"""
    with pytest.raises(errors.ValidationFailed, match=r"export the task as CVAT for images 1\.1"):
        read_foreign(xml)


@pytest.mark.parametrize(
    "xml",
    [
        # the "billion laughs": entities that expand into gigabytes
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;">]>'
        b"<annotations><image name='&l2;'/></annotations>",
        # an external entity that would read a file of the server
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<annotations><image name='&x;'/></annotations>",
    ],
)
def test_cvat_xml_with_a_dtd_or_entities_is_refused_unread(xml: bytes) -> None:
    with pytest.raises(errors.ValidationFailed, match="DTD or entities"):
        cvat.parse(xml)
    with pytest.raises(errors.ValidationFailed):
        read_foreign(xml)


# --- Tabula -------------------------------------------------------------------------------


def test_tabula_template_selections_in_points_per_page() -> None:
    """Tabula template: the JSON list the Tabula app saves and exports, each selection
    {page, extraction_method, x1, x2, y1, y2, width, height} in PDF points from the
    page's top-left corner (tabula-py reads it as area [y1, x1, y2, x2]);
    https://tabula-py.readthedocs.io/en/latest/tabula.html#tabula.io.read_pdf_with_template
    and the app's own export: https://github.com/tabulapdf/tabula/issues/325."""
    read = read_foreign(fixture("tabula_template.json"))
    assert read.format == "tabula" and read.title is None
    (entry,) = read.entries
    assert entry.name is None and entry.units == "points"
    assert boxes(entry) == [("", 14.4, 10.8, 43.2, 21.6), ("", 72.0, 54.0, 54.0, 32.4)]
    assert [box.page for box in entry.boxes] == [1, 2]


def test_tabula_page_that_is_not_a_page_number() -> None:
    template = as_json("tabula_template.json")
    template[1]["page"] = 0
    with pytest.raises(errors.ValidationFailed, match=r"\[1\]\.page: 0 is not a page number"):
        read_foreign(dumped(template))


# --- detection ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("via_project.json", "via"),
        ("label_studio_export.json", "label-studio"),
        ("coco.json", "coco"),
        ("cvat_images.xml", "cvat"),
        ("tabula_template.json", "tabula"),
    ],
)
def test_formats_are_told_by_content_with_or_without_a_byte_order_mark(name: str, fmt: str) -> None:
    assert read_foreign(fixture(name)).format == fmt
    assert read_foreign(b"\xef\xbb\xbf\n  " + fixture(name)).format == fmt


@pytest.mark.parametrize(
    ("data", "shape"),
    [
        (b"\x89PNG\r\n\x1a\n", "neither JSON nor XML"),
        (b'{"shapes": [{"label": "a", "shape_type": "rectangle"}]}', "JSON of another shape"),
        (b"[]", "an empty JSON list"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "XML whose root is <"),
        (b"<annotations><image>", "not well-formed XML"),
        (b"[" * 100_000 + b"]" * 100_000, "neither JSON nor XML"),
    ],
)
def test_unknown_shapes_are_refused_naming_every_format_read(data: bytes, shape: str) -> None:
    with pytest.raises(errors.UnknownImportFormat) as caught:
        read_foreign(data)
    detail = caught.value.detail
    assert shape in detail
    for name in ("VIA", "Label Studio", "COCO", "CVAT for images 1.1", "Tabula", "Zonecut export"):
        assert name in detail


def test_an_empty_file_is_named_empty() -> None:
    with pytest.raises(errors.ValidationFailed, match="the file is empty"):
        read_foreign(b" \n")


def test_a_zonecut_export_is_recognised_apart() -> None:
    assert is_portable(b'{"zonecut_export": 1, "name": "x"}')
    assert not is_portable(fixture("coco.json"))
    assert not is_portable(b"not json")


def test_read_files_are_plain_values() -> None:
    read = read_foreign(fixture("coco.json"))
    assert isinstance(read, ForeignFile)
    assert read == read_foreign(fixture("coco.json"))
