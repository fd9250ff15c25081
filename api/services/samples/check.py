"""The check of a zone change against a model's samples, before it is saved.

Every sample is cut now, twice, with the same code: once with the saved zones and once
with the proposed ones, through the same placement (:mod:`.placements`). Comparing two
crops cut now — never a crop of today with one kept from the day the sample was added —
means a new decoder or a better placement changes both sides alike, and cannot make every
sample look changed.

Each zone is judged by its id: a proposed zone without one is ``new``, a saved zone the
proposal leaves out ``removed``. A zone whose box and page did not change is
``unchanged`` without being cut (the same box through the same placement gives the same
crop); the others are cut on both sides and compared pixel by pixel
(:mod:`api.imaging.difference`): under :data:`UNCHANGED_BELOW` of the pixels differing it
is ``unchanged`` (a zone moved over blank paper), otherwise ``moved`` when it kept its
size and ``changed`` when it was resized. A sample the reference can no longer be found
in, or where a proposed zone cannot be cut, is ``refused``.

Only the boxes that changed are cut: by scale from the tiles under them, by features from
their page decoded (:mod:`.placements`); no transaction is held meanwhile. The previews
of the crops cut go into the preview cache, and :func:`crop_preview` cuts any other one
on demand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from PIL import Image

from api import errors
from api.db import session_scope
from api.imaging.difference import changed_share, preview
from api.imaging.geometry import Box
from api.services.extraction.pipeline import ModelSnapshot
from api.services.models.catalog import load_model
from api.services.models.rules import Limits, ZoneSpec
from api.services.models.zones import checked_replacement
from api.services.samples.kept import find_sample, list_samples
from api.services.samples.parts import SampleParts
from api.services.samples.placements import (
    Cut,
    SamplePages,
    SamplePlacement,
    SampleSnapshot,
    cut_boxes,
    keep_placements,
    place_sample,
    retile_quietly,
)
from api.storage import FileNotFoundInStorage

UNCHANGED_BELOW = 0.005
"""Share of a crop's pixels that may differ for it to count as unchanged (0.5 %)."""

ZoneStatus = Literal["new", "removed", "unchanged", "moved", "changed", "refused"]
SampleStatus = Literal["unchanged", "changed", "refused"]


@dataclass(frozen=True)
class ZoneRef:
    """A zone on one side of the check: saved, or proposed (``id`` None when new)."""

    id: uuid.UUID | None
    name: str
    page: int
    box: Box


@dataclass(frozen=True)
class CropSide:
    """One side of a zone's comparison: which box of which page, and the crop's size in
    pixels when it was cut for the check."""

    page: int
    box: Box
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class ZoneCheck:
    """How one zone fares on one sample."""

    zone_id: uuid.UUID | None
    # its position among the proposed zones; None for a removed one
    index: int | None
    name: str
    status: ZoneStatus
    # the share of pixels that differ between the two crops; None when not compared
    changed_share: float | None
    before: CropSide | None
    after: CropSide | None
    detail: str | None = None


@dataclass(frozen=True)
class SampleCheck:
    """How one sample fares: ``unchanged`` when every zone is."""

    sample: SampleSnapshot
    status: SampleStatus
    detail: str | None
    placement_key: str
    zones: list[ZoneCheck]


@dataclass(frozen=True)
class CheckOutcome:
    """The check of a proposal against every sample of a model."""

    model_id: uuid.UUID
    model_version: int
    proposed: bool
    samples: list[SampleCheck]


# a pair of zones: (saved, proposed, position among the proposed)
Pair = tuple[ZoneRef | None, ZoneRef | None, int | None]


def check_samples(
    parts: SampleParts,
    model_id: uuid.UUID,
    proposed: Sequence[ZoneSpec] | None,
    limits: Limits,
) -> CheckOutcome:
    """Cut every sample with the saved zones and with ``proposed`` (None: the saved
    ones) and say what changes; 422 for a proposal that could not be saved."""
    with session_scope(parts.sessions) as session:
        row = load_model(session, model_id)
        model = ModelSnapshot.of(row)
        after = None
        if proposed is not None:
            specs, _ = checked_replacement(row, proposed, limits)
            after = [
                ZoneRef(spec.id, spec.name.strip(), spec.page or 1, _box(spec)) for spec in specs
            ]
        samples = [SampleSnapshot.of(sample) for sample in list_samples(session, model_id)]
    saved = [ZoneRef(zone.id, zone.name, zone.page, zone.box) for zone in model.zones]
    pairs = _pairs(saved, saved if after is None else after)
    placed_now: dict[uuid.UUID, SamplePlacement] = {}
    stale: list[SampleSnapshot] = []
    checks = [_check_sample(parts, model, sample, pairs, placed_now, stale) for sample in samples]
    keep_placements(parts, placed_now)
    retile_quietly(parts, model, stale)  # once after new decoders: the next check is quick
    return CheckOutcome(model.id, model.version, proposed is not None, checks)


def _box(spec: ZoneSpec) -> Box:
    return Box(spec.x, spec.y, spec.width, spec.height)


def _pairs(saved: Sequence[ZoneRef], after: Sequence[ZoneRef]) -> list[Pair]:
    """Saved and proposed zones paired by id, in the proposal's order; the removed last."""
    by_id = {zone.id: zone for zone in saved}
    kept = {zone.id for zone in after if zone.id is not None}
    pairs: list[Pair] = [
        (by_id.get(zone.id) if zone.id is not None else None, zone, index)
        for index, zone in enumerate(after)
    ]
    pairs += [(zone, None, None) for zone in saved if zone.id not in kept]
    return pairs


def _check_sample(
    parts: SampleParts,
    model: ModelSnapshot,
    sample: SampleSnapshot,
    pairs: Sequence[Pair],
    placed_now: dict[uuid.UUID, SamplePlacement],
    stale: list[SampleSnapshot],
) -> SampleCheck:
    pages = SamplePages(parts, sample, model)
    try:
        placement, fresh = place_sample(parts, model, sample, pages)
        if fresh:
            placed_now[sample.id] = placement
        if placement.refused is not None:
            return _refused(sample, placement, pairs, placement.refused)
        changed = [(before, after) for before, after, _ in pairs if _moved(before, after)]
        wanted = {(zone.page, zone.box) for pair in changed for zone in pair if zone is not None}
        cuts = cut_boxes(model, pages, placement, wanted)
    except errors.AppError as exc:  # the kept picture cannot be opened within today's limits
        return _refused(sample, SamplePlacement(""), pairs, exc.detail)
    except FileNotFoundInStorage:
        return _refused(sample, SamplePlacement(""), pairs, "the sample's picture is missing")
    finally:
        pages.close()
    if cuts.stale_tiles:
        stale.append(sample)
    for (page, box), image in cuts.crops.items():
        if isinstance(image, Image.Image):
            parts.previews.put((sample.id, placement.key, page, box), preview(image))
    zones = [_judge(before, after, index, cuts.crops) for before, after, index in pairs]
    refusals = [zone for zone in zones if zone.status == "refused" and zone.after is not None]
    if refusals:
        detail = f"zone '{refusals[0].name}' cannot be cut: {refusals[0].detail}"
        return SampleCheck(sample, "refused", detail, placement.key, zones)
    same = all(zone.status == "unchanged" for zone in zones)
    return SampleCheck(sample, "unchanged" if same else "changed", None, placement.key, zones)


def _moved(before: ZoneRef | None, after: ZoneRef | None) -> bool:
    return (
        before is not None
        and after is not None
        and (before.page, before.box) != (after.page, after.box)
    )


def _judge(
    before: ZoneRef | None,
    after: ZoneRef | None,
    index: int | None,
    cuts: dict[tuple[int, Box], Cut],
) -> ZoneCheck:
    if before is None:
        assert after is not None
        side = CropSide(after.page, after.box)
        return ZoneCheck(None, index, after.name, "new", None, None, side)
    if after is None:
        side = CropSide(before.page, before.box)
        return ZoneCheck(before.id, None, before.name, "removed", None, side, None)
    if not _moved(before, after):
        side = CropSide(after.page, after.box)
        return ZoneCheck(after.id, index, after.name, "unchanged", 0.0, side, side)
    old, new = cuts[(before.page, before.box)], cuts[(after.page, after.box)]
    if isinstance(old, errors.PictureDoesNotMatch) or isinstance(new, errors.PictureDoesNotMatch):
        refusal = new if isinstance(new, errors.PictureDoesNotMatch) else old
        assert isinstance(refusal, errors.PictureDoesNotMatch)
        return ZoneCheck(
            after.id,
            index,
            after.name,
            "refused",
            None,
            CropSide(before.page, before.box),
            CropSide(after.page, after.box),
            refusal.detail,
        )
    share = round(changed_share(old, new), 6)
    resized = (before.box.width, before.box.height) != (after.box.width, after.box.height)
    status: ZoneStatus = "changed" if resized else "moved"
    if not resized and share < UNCHANGED_BELOW:
        status = "unchanged"
    return ZoneCheck(
        after.id,
        index,
        after.name,
        status,
        share,
        CropSide(before.page, before.box, old.width, old.height),
        CropSide(after.page, after.box, new.width, new.height),
    )


def _refused(
    sample: SampleSnapshot, placement: SamplePlacement, pairs: Sequence[Pair], detail: str
) -> SampleCheck:
    zones = []
    for before, after, index in pairs:
        zone = after or before
        assert zone is not None
        zones.append(ZoneCheck(zone.id, index, zone.name, "refused", None, None, None, detail))
    return SampleCheck(sample, "refused", detail, placement.key, zones)


def crop_preview(
    parts: SampleParts, model_id: uuid.UUID, sample_id: uuid.UUID, page: int, box: Box
) -> bytes:
    """A small JPEG of the crop ``box`` (reference pixels of ``page``) gives the sample
    now: 404 for an unknown sample, 422 for a box outside the page or a sample the
    reference is no longer found in."""
    with session_scope(parts.sessions) as session:
        model = ModelSnapshot.of(load_model(session, model_id))
        sample = SampleSnapshot.of(find_sample(session, model_id, sample_id))
    if page > model.page_count:
        raise errors.validation_failed(
            [errors.FieldError(field="page", message=f"the model has {model.page_count} pages")]
        )
    width, height = model.page_sizes[page - 1]
    if not box.fits_within(width, height):
        raise errors.validation_failed(
            [errors.FieldError(field="x", message=f"the box must lie inside {width}x{height}")]
        )
    pages = SamplePages(parts, sample, model)
    try:
        placement, fresh = place_sample(parts, model, sample, pages)
        if fresh:
            keep_placements(parts, {sample.id: placement})
        if placement.refused is not None:
            raise errors.PictureDoesNotMatch(placement.refused)
        key = (sample.id, placement.key, page, box)
        kept = parts.previews.get(key)
        if kept is not None:
            return kept
        image = cut_boxes(model, pages, placement, [(page, box)]).crops[(page, box)]
    except FileNotFoundInStorage as exc:
        raise errors.NotFound(f"the picture of sample {sample_id} is missing") from exc
    finally:
        pages.close()
    if isinstance(image, errors.PictureDoesNotMatch):
        raise image
    data = preview(image)
    parts.previews.put(key, data)
    return data
