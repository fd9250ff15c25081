"""People who sign in: admins manage them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api import errors
from api.db import SessionDep
from api.edge.access import Admin
from api.edge.presenters import API_PREFIX
from api.edge.problems import problem_responses
from api.schemas.access import UserCreate, UserList, UserRead, UserUpdate
from api.schemas.common import MAX_OFFSET
from api.services import audit
from api.services.identity import accounts

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[uuid.UUID, Path(description="The user's id.")]


@router.get(
    "",
    operation_id="listUsers",
    summary="List users",
    description="Every user, by username.",
    responses=problem_responses(),
)
def list_users(
    session: SessionDep,
    _admin: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> UserList:
    users, total = accounts.list_users(session, limit=limit, offset=offset)
    return UserList(
        items=[UserRead.model_validate(u) for u in users], total=total, limit=limit, offset=offset
    )


@router.post(
    "",
    status_code=201,
    operation_id="createUser",
    summary="Create a user",
    description="A new person who signs in with this username and password.",
    responses=problem_responses(errors.Conflict),
)
def create_user(
    session: SessionDep, admin: Admin, body: UserCreate, response: Response
) -> UserRead:
    user = accounts.create_user(session, body.username, body.password, body.role)
    audit.record(
        session,
        admin.actor,
        "user.create",
        str(user.id),
        {"username": user.username, "role": user.role},
    )
    response.headers["Location"] = f"{API_PREFIX}/users/{user.id}"
    return UserRead.model_validate(user)


@router.get(
    "/{user_id:uuid}",
    operation_id="getUser",
    summary="Get a user",
    description="One user.",
    responses=problem_responses(errors.NotFound),
)
def get_user(session: SessionDep, _admin: Admin, user_id: UserId) -> UserRead:
    return UserRead.model_validate(accounts.load_user(session, user_id))


@router.patch(
    "/{user_id:uuid}",
    operation_id="updateUser",
    summary="Change a user",
    description="Renames, changes the role, disables or sets a new password. A new password "
    "or disabling ends every session of the user. Disabling or demoting the last enabled "
    "admin is 409.",
    responses=problem_responses(errors.NotFound, errors.Conflict),
)
def update_user(session: SessionDep, admin: Admin, user_id: UserId, body: UserUpdate) -> UserRead:
    user = accounts.load_user(session, user_id)
    changes = accounts.UserChanges(
        username=body.username, role=body.role, disabled=body.disabled, password=body.password
    )
    accounts.update_user(session, user, changes)
    detail = body.model_dump(exclude_none=True, exclude={"password"})
    if body.password is not None:
        detail["password"] = "changed"
    audit.record(session, admin.actor, "user.update", str(user.id), detail)
    return UserRead.model_validate(user)


@router.delete(
    "/{user_id:uuid}",
    status_code=204,
    operation_id="deleteUser",
    summary="Delete a user",
    description="Removes the user and ends their sessions; the last enabled admin is 409. "
    "What they did stays in the audit log under their name.",
    responses=problem_responses(errors.NotFound, errors.Conflict),
)
def delete_user(session: SessionDep, admin: Admin, user_id: UserId) -> Response:
    user = accounts.load_user(session, user_id)
    accounts.delete_user(session, user)
    audit.record(session, admin.actor, "user.delete", str(user_id), {"username": user.username})
    return Response(status_code=204)


@router.post(
    "/{user_id:uuid}/unlock",
    status_code=204,
    operation_id="unlockUser",
    summary="Unlock a user",
    description="Forgets the user's failed sign-ins from every address, so the sign-in "
    "throttle lets them in again at once (say, after someone else's guesses locked them "
    "out).",
    responses=problem_responses(errors.NotFound),
)
def unlock_user(session: SessionDep, admin: Admin, user_id: UserId) -> Response:
    user = accounts.load_user(session, user_id)
    accounts.unlock_user(session, user)
    audit.record(session, admin.actor, "user.unlock", str(user.id), {"username": user.username})
    return Response(status_code=204)
