"""Typed dependencies: settings, storage, limits, and models loaded once or 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Request

from api.db import SessionDep
from api.edge.access import principal_of
from api.lifecycle import make_pipeline
from api.services.extraction.pipeline import Pipeline
from api.services.models.catalog import load_model
from api.services.models.rules import Limits
from api.services.models.suggestions import SuggestionCache
from api.services.samples.parts import SampleParts
from api.settings import Settings
from api.storage import Storage
from api.tables import Model


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_storage(request: Request) -> Storage:
    """Where crops are filed."""
    storage: Storage = request.app.state.storage
    return storage


def get_references(request: Request) -> Storage:
    """Where models' reference pictures (and their features) are kept."""
    storage: Storage = request.app.state.references
    return storage


SettingsDep = Annotated[Settings, Depends(get_settings)]
StorageDep = Annotated[Storage, Depends(get_storage)]
ReferencesDep = Annotated[Storage, Depends(get_references)]


def get_reviews(request: Request) -> Storage:
    """Where refused pictures are kept for review."""
    storage: Storage = request.app.state.reviews
    return storage


ReviewsDep = Annotated[Storage, Depends(get_reviews)]


def get_sources(request: Request) -> Storage:
    """Where the pictures cut are kept for overlays."""
    storage: Storage = request.app.state.sources
    return storage


SourcesDep = Annotated[Storage, Depends(get_sources)]


def get_suggestion_cache(request: Request) -> SuggestionCache:
    """The zone suggestions of reference pages, computed once each."""
    cache: SuggestionCache = request.app.state.suggestion_cache
    return cache


SuggestionsDep = Annotated[SuggestionCache, Depends(get_suggestion_cache)]


def get_limits(settings: SettingsDep) -> Limits:
    return Limits(
        max_zones=settings.max_zones_per_model,
        max_coordinate=settings.max_coordinate,
        max_pixels=settings.max_image_pixels,
        max_pages=settings.max_pages,
        max_request_pixels=settings.max_request_pixels,
    )


def get_pipeline(request: Request) -> Pipeline:
    """The extraction's parts of the app, within the limits of a synchronous request."""
    return make_pipeline(request.app)


def get_model(
    request: Request,
    session: SessionDep,
    model_id: Annotated[uuid.UUID, Path(description="The model's id.")],
) -> Model:
    """The model of the path, or 404: also when it is outside the caller's key's scope."""
    principal = principal_of(request)
    return load_model(session, model_id, only=principal.models if principal else None)


def get_sample_parts(request: Request, settings: SettingsDep) -> SampleParts:
    """What the samples of models are kept in and cut with."""
    return SampleParts(
        sessions=request.app.state.sessionmaker,
        store=request.app.state.samples,
        references=request.app.state.reference_cache,
        max_pixels=settings.max_image_pixels,
        max_pages=settings.max_pages,
        max_request_pixels=settings.max_request_pixels,
        sources=request.app.state.sources,
        previews=request.app.state.sample_previews,
    )


def get_samples_store(request: Request) -> Storage:
    """Where the samples of models are kept."""
    storage: Storage = request.app.state.samples
    return storage


SamplesStoreDep = Annotated[Storage, Depends(get_samples_store)]
LimitsDep = Annotated[Limits, Depends(get_limits)]
SamplePartsDep = Annotated[SampleParts, Depends(get_sample_parts)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
ModelDep = Annotated[Model, Depends(get_model)]
