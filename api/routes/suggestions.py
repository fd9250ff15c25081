"""Zone suggestions: the printed boxes, cells and fields of a model's reference page."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import errors
from api.db import SessionFactoryDep
from api.edge.access import Reader
from api.edge.deps import SuggestionsDep
from api.edge.presenters import zone_suggestions
from api.edge.problems import problem_responses
from api.schemas.models import ZoneSuggestions
from api.services.models.suggestions import page_suggestions

router = APIRouter(prefix="/models", tags=["models"])


@router.get(
    "/{model_id:uuid}/suggestions",
    operation_id="getZoneSuggestions",
    summary="Suggest zones",
    description="The zones the editor suggests on a page of the model's reference: the "
    "insides of its printed boxes, table cells and checkboxes and the room above its rules "
    "to write on, in pixels of the page, best first (all of them: the model's zones leave "
    "none out); and the printed lines an edge being drawn snaps to. Found once per "
    "reference picture, then kept. A page the reference does not have is 404.",
    responses=problem_responses(errors.NotFound),
)
def get_zone_suggestions(
    reader: Reader,
    sessions: SessionFactoryDep,
    cache: SuggestionsDep,
    model_id: Annotated[uuid.UUID, Path(description="The model's id.")],
    page: Annotated[int, Query(ge=1, le=10_000, description="The page, from 1.")] = 1,
) -> ZoneSuggestions:
    # The model is read in a transaction of its own, over before the pixels are read.
    found = page_suggestions(sessions, cache, model_id, page, only=reader.models)
    return zone_suggestions(found)
