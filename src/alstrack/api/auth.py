"""Routes for logging in and out, passwords, signature attestations, users and API tokens
(services.auth, attestations, users)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field

from alstrack.api.deps import DB, CurrentActor, Id, bearer, needs
from alstrack.errors import Unauthenticated
from alstrack.services import attestations, auth, mfa, users
from alstrack.services.attestations import AttestationIn, AttestationOut, AttestationsOut
from alstrack.services.auth import LoginIn, LoginOut, PasswordChangeIn
from alstrack.services.mfa import MfaCodeIn, MfaSetupOut, MfaStatusOut
from alstrack.services.users import IssuedTokenOut, TokenIn, TokenOut, UserIn, UserOut

router = APIRouter(tags=["users and login"])

Username = Annotated[str, Path(min_length=1, max_length=64)]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class ResetOut(BaseModel):
    username: str
    one_time_password: str = Field(
        description="Shown once: it lets the user log in only to choose a new password"
    )


@router.post(
    "/auth/login",
    summary="Log in with a username and password, and the one-time code of your authenticator "
    "app where your role needs one: a session token (ends when idle)",
)
def login(data: LoginIn, db: DB) -> LoginOut:
    return auth.login(db, data)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this session")
def logout(
    db: DB, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Response:
    if credentials is None or not credentials.credentials.startswith(auth.SESSION_PREFIX):
        raise Unauthenticated("Send the session token of the login to end.")
    auth.logout(db, credentials.credentials)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change your own password (the current one is required)",
    openapi_extra=needs(),
)
def change_password(data: PasswordChangeIn, db: DB, actor: CurrentActor) -> Response:
    auth.change_password(db, actor, data)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/attestation",
    status_code=status.HTTP_201_CREATED,
    summary="Certify that your electronic signatures are legally binding (21 CFR 11.100(c)), "
    "signed 'certified' with your password: needed once before your first signature",
    openapi_extra=needs(),
)
def attest(data: AttestationIn, db: DB, actor: CurrentActor) -> AttestationOut:
    return attestations.attest(db, actor, data)


@router.get(
    "/auth/mfa",
    summary="Whether your logins need a one-time code, and whether your app is set up",
    openapi_extra=needs(),
)
def mfa_status(db: DB, actor: CurrentActor) -> MfaStatusOut:
    return mfa.status(db, actor)


@router.post(
    "/auth/mfa",
    status_code=status.HTTP_201_CREATED,
    summary="Set up your authenticator app: a new key (TOTP, RFC 6238), shown once; "
    "then confirm it with POST /auth/mfa/confirm",
    openapi_extra=needs(),
)
def mfa_start(db: DB, actor: CurrentActor) -> MfaSetupOut:
    return mfa.start(db, actor)


@router.post(
    "/auth/mfa/confirm",
    summary="Turn your second factor on with the first code your app shows for the new key",
    openapi_extra=needs(),
)
def mfa_confirm(data: MfaCodeIn, db: DB, actor: CurrentActor) -> MfaStatusOut:
    return mfa.confirm(db, actor, data)


@router.post(
    "/users/{username}/mfa/reset",
    summary="Remove a user's second factor (admin; a lost phone): they set up a new one",
    openapi_extra=needs("users.write"),
)
def mfa_reset(username: Username, data: ReasonIn, db: DB, actor: CurrentActor) -> MfaStatusOut:
    return mfa.reset(db, actor, username, data.reason)


@router.get(
    "/auth/attestation",
    summary="The attestation text to certify, and your attestations with their signatures",
    openapi_extra=needs(),
)
def my_attestations(db: DB, actor: CurrentActor) -> AttestationsOut:
    return attestations.my_attestations(db, actor)


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    summary="Create a user (admin)",
    openapi_extra=needs("users.write"),
)
def create_user(data: UserIn, db: DB, actor: CurrentActor) -> UserOut:
    return users.create_user(db, actor, data)


@router.post(
    "/users/{username}/password-reset",
    summary="Reset a user's password (admin): a one-time password to choose a new one with",
    openapi_extra=needs("users.write"),
)
def reset_password(username: Username, data: ReasonIn, db: DB, actor: CurrentActor) -> ResetOut:
    return ResetOut(
        username=username,
        one_time_password=auth.reset_password(db, actor, username, data.reason),
    )


@router.post(
    "/users/{username}/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Make an API token (your own; an admin's for anyone): shown once",
    openapi_extra=needs(),
)
def create_token(username: Username, data: TokenIn, db: DB, actor: CurrentActor) -> IssuedTokenOut:
    return users.create_token(db, actor, username, data)


@router.get(
    "/users/{username}/tokens",
    summary="A user's API tokens (never the tokens themselves)",
    openapi_extra=needs(),
)
def list_tokens(username: Username, db: DB, actor: CurrentActor) -> list[TokenOut]:
    return users.list_tokens(db, actor, username)


@router.post(
    "/tokens/{token_id}/revoke", summary="Revoke an API token for good", openapi_extra=needs()
)
def revoke_token(token_id: Id, data: ReasonIn, db: DB, actor: CurrentActor) -> TokenOut:
    return users.revoke_token(db, actor, token_id, data.reason)
