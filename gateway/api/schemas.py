"""Bodies and answers of the session and account calls of the JSON API."""

import uuid

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(_Body):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    # True: answer the tokens (mobile apps, integrators) instead of setting cookies.
    token: bool = False


class ForgotBody(_Body):
    email: str = Field(max_length=320)


class ResetBody(_Body):
    token: str = Field(max_length=512)
    password: str = Field(max_length=1024)
    # True: answer the tokens instead of setting cookies (as `token` does on login).
    return_tokens: bool = False


class PasswordBody(_Body):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class EmailBody(_Body):
    new_email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class ConfirmBody(_Body):
    token: str = Field(max_length=512)
    return_tokens: bool = False


class AccountOut(BaseModel):
    id: str
    email: str
    role: str
    family_id: uuid.UUID | None = None


class SessionOut(BaseModel):
    """A new session. Cookie mode: `csrf_token` to send as `X-CSRF-Token` on unsafe calls.
    Token mode: the tokens, for `Authorization: Bearer` and `POST /sessions/refresh`."""

    account: AccountOut
    csrf_token: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = None


class CsrfOut(BaseModel):
    csrf_token: str


class Accepted(BaseModel):
    pass
