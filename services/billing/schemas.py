"""Models shared by the billing subjects: inputs refuse unknown fields; page queries."""

from pydantic import BaseModel, ConfigDict, Field


class Input(BaseModel):
    """What clients send: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(Input):
    """A keyset-paginated list: the opaque cursor of the next page, and its size."""

    cursor: str | None = Field(None, max_length=512)
    limit: int = Field(20, ge=1, le=100)


class Address(BaseModel):
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
