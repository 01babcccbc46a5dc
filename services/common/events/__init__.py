"""Event envelope and the base of the typed event payloads (the contract between services)."""

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    """What travels on the bus; the routing key is `type`."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    data: dict[str, Any]


class Event(BaseModel):
    """A typed payload; subclasses name their `TYPE` (`<producer>.<what_happened>`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    def envelope(self, *, producer: str) -> Envelope:
        return Envelope(
            type=self.TYPE,
            version=self.VERSION,
            producer=producer,
            data=self.model_dump(mode="json"),
        )

    @classmethod
    def of(cls, envelope: Envelope) -> Self:
        """The typed payload of a received envelope."""
        return cls.model_validate(envelope.data)
