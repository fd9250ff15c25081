"""The flow a third-party system runs with the generated client (run by its test).

Only the generated package and its own dependencies are imported, as in a project of
someone else's; the server address and the API key come from the environment.
"""

from __future__ import annotations

import io
import os

from PIL import Image
from zonecut_client import AuthenticatedClient, Client
from zonecut_client.api.auth import get_me
from zonecut_client.api.extraction import extract, get_extraction
from zonecut_client.api.folders import download_file, list_folder_files
from zonecut_client.api.models import create_model
from zonecut_client.api.zones import replace_zones
from zonecut_client.models import (
    BodyCreateModel,
    BodyExtract,
    ExtractionBatch,
    ExtractionRead,
    ModelRead,
    PageFileRead,
    PagesMode,
    Problem,
    ZoneReplace,
    ZonesReplace,
)
from zonecut_client.types import File


def picture(width: int, height: int) -> File:
    image = Image.new("RGB", (width, height), (250, 250, 245))
    image.paste((20, 40, 200), (width // 2, height // 2, width, height))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    buffer.seek(0)
    return File(payload=buffer, file_name="scan.png", mime_type="image/png")


def document(width: int, height: int, pages: int) -> File:
    """A PDF of ``pages`` pages, each the picture of :func:`picture` (at 72 dpi)."""
    image = Image.open(picture(width, height).payload)
    buffer = io.BytesIO()
    image.save(buffer, "PDF", save_all=True, append_images=[image] * (pages - 1))
    buffer.seek(0)
    return File(payload=buffer, file_name="batch.pdf", mime_type="application/pdf")


def main() -> None:
    url, key = os.environ["ZONECUT_URL"], os.environ["ZONECUT_API_KEY"]
    anonymous = Client(base_url=url)
    refused = get_me.sync(client=anonymous)
    assert isinstance(refused, Problem) and refused.status == 401, refused

    client = AuthenticatedClient(base_url=url, token=key)
    me = get_me.sync(client=client)
    assert me is not None and not isinstance(me, Problem) and me.name == "integration", me

    created = create_model.sync_detailed(
        client=client, body=BodyCreateModel(name="Invoice", image=picture(800, 600))
    )
    assert created.status_code == 201 and isinstance(created.parsed, ModelRead), created.content
    model, etag = created.parsed, created.headers["etag"]

    zones = ZonesReplace(
        zones=[ZoneReplace(name="total", folder="totals", x=400, y=300, width=400, height=300)]
    )
    stale = replace_zones.sync(model_id=model.id, client=client, body=zones, if_match='"99"')
    assert isinstance(stale, Problem) and stale.status == 412, stale
    replaced = replace_zones.sync(model_id=model.id, client=client, body=zones, if_match=etag)
    assert isinstance(replaced, ModelRead) and replaced.version == model.version + 1, replaced

    cut = extract.sync(
        client=client, body=BodyExtract(model="Invoice", image=[picture(1600, 1200)])
    )
    assert isinstance(cut, ExtractionRead), cut
    again = get_extraction.sync(extraction_id=cut.id, client=client)
    assert isinstance(again, ExtractionRead) and again.crops[0].zone_name == "total", again

    files = list_folder_files.sync(folder="totals", client=client)
    assert isinstance(files, PageFileRead) and files.total == 1, files
    crop = download_file.sync(path=files.items[0].path, client=client)
    assert isinstance(crop, File), crop
    image = Image.open(crop.payload)
    assert image.size == (800, 600) and image.getpixel((10, 10)) == (20, 40, 200)

    several = extract.sync(
        client=client, body=BodyExtract(model="Invoice", image=[picture(800, 600)] * 2)
    )
    assert isinstance(several, ExtractionBatch) and len(several.items) == 2, several

    each = extract.sync(
        client=client,
        body=BodyExtract(model="Invoice", image=[document(800, 600, 2)], pages=PagesMode.EACH),
    )
    assert isinstance(each, ExtractionBatch) and not each.refused, each
    assert [item.source.page for item in each.items] == [1, 2], each
    assert all(item.crops[0].folder == "totals" for item in each.items), each

    wrong_shape = extract.sync(
        client=client, body=BodyExtract(model=str(model.id), image=[picture(900, 300)])
    )
    assert isinstance(wrong_shape, Problem) and wrong_shape.status == 422, wrong_shape
    assert "aspect" in wrong_shape.detail, wrong_shape.detail
    print("flow complete")


if __name__ == "__main__":
    main()
