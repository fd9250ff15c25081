"""People, API keys, signing in and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.common import InputModel, Page
from api.services.identity.credentials import Role

RoleField = Annotated[
    Role,
    Field(
        description="operator: read models, cut, read results; editor: also change models and "
        "zones, delete files; admin: also users, API keys and the audit log."
    ),
]
Username = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[\w.@+-]+$",
        description="Letters, digits and `. @ + - _`; case does not matter at sign-in.",
        examples=["ada"],
    ),
]
Password = Annotated[
    str,
    Field(
        min_length=8,
        max_length=1024,
        description="At least 8 characters.",
        examples=["a long passphrase"],
    ),
]


class LoginRequest(InputModel):
    username: Annotated[str, Field(min_length=1, max_length=200, examples=["ada"])]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class SetupRequest(InputModel):
    token: Annotated[str, Field(min_length=1, max_length=200, description="From the setup link.")]
    username: Username
    password: Password


class Me(BaseModel):
    """Who the credentials of this request belong to."""

    kind: Literal["user", "api_key"]
    name: str = Field(examples=["ada"])
    role: Role
    models: list[uuid.UUID] | None = Field(
        default=None, description="For an API key limited to some models: those models."
    )


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    role: Role
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreate(InputModel):
    username: Username
    password: Password
    role: RoleField = "operator"


class UserUpdate(InputModel):
    """Fields of a user to change; a new password or disabling signs the user out everywhere."""

    username: Username | None = None
    password: Password | None = None
    role: RoleField | None = None
    disabled: bool | None = None


class ApiKeyRead(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    models: list[uuid.UUID] | None = Field(description="Models the key may use; null for all.")
    prefix: str = Field(description="The secret's first characters, to recognise it.")
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    secret: str = Field(description="The key itself: shown in this answer only, never again.")


class ApiKeyCreate(InputModel):
    name: Annotated[str, Field(min_length=1, max_length=100, examples=["scanner-2"])]
    role: RoleField = "operator"
    models: list[uuid.UUID] | None = Field(
        default=None,
        max_length=1000,
        description="Limit the key to these models (read them, cut with them); null for all.",
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the key stops working (with a time zone)."
    )


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str = Field(examples=["ada", "key:scanner"])
    action: str = Field(examples=["model.update"])
    target: str | None
    detail: dict[str, Any]


UserList = Page[UserRead]
ApiKeyList = Page[ApiKeyRead]
AuditList = Page[AuditEventRead]
