"""Shapes every part of the API shares: field types, lists, health."""

from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

AlignmentMethod = Literal["scale", "features"]
OnRefusal = Literal["review", "reject"]
OnRefusalField = Annotated[
    OnRefusal,
    Field(
        description="What happens to a picture refused as not matching: `review` keeps it "
        "for a person to place the zones by hand, `reject` only answers 422."
    ),
]
Point = Annotated[list[float], Field(min_length=2, max_length=2)]
Corners = Annotated[list[Point], Field(min_length=4, max_length=4)]

# Generous absolute bounds so that the schema states them; the tighter, configurable
# MAX_COORDINATE setting is checked by the service.
Coordinate = Annotated[int, Field(ge=0, le=10_000_000)]
Extent = Annotated[int, Field(ge=1, le=10_000_000)]
ZoneName = Annotated[str, Field(min_length=1, max_length=100, examples=["signature"])]
FolderPath = Annotated[str, Field(min_length=1, max_length=1279, examples=["signatures"])]
ModelName = Annotated[str, Field(min_length=1, max_length=200, examples=["Invoice A4"])]
PageNumber = Annotated[
    int, Field(ge=1, le=10_000, description="A page of the model's reference, from 1.")
]

T = TypeVar("T")
MAX_OFFSET = 1_000_000_000


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int = Field(ge=0, description="Number of items across all pages.")
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok"] = "ok"
    database: Literal["ok"] = "ok"
    storage: Literal["ok"] = "ok"
