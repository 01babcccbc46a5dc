"""Who consumes what: every consumer's queues, by service, declared by publishers too.

A queue receives only what is published after it is bound: were the consumer's own start-up
the only place it is declared, an event published before that consumer's first start (a fresh
deployment, a service started later) would be routed nowhere and lost. Every bus declares,
before it first publishes an event type, the main queue of each consumer listed here for that
type, so the event waits in the queue until its consumer starts. A test checks that this list
and each service's handlers say the same.
"""

from services.common.events.auth import (
    AccountInvited,
    EmailChanged,
    EmailChangeRequested,
    PasswordChanged,
    PasswordResetRequested,
)
from services.common.events.billing import (
    DebitPrenotified,
    DebitRejected,
    InvoiceIssued,
    MandateCodeRequested,
    MandateSigned,
    PaymentFailed,
    PaymentSucceeded,
)
from services.common.events.families import (
    ChangeRequestDecided,
    ChildCreated,
    ChildLinked,
    ChildUnlinked,
    ChildUpdated,
    FamilyCreated,
    FamilyUpdated,
)
from services.common.events.reservations import (
    Cancelled,
    LineDecided,
    LotteryDrawn,
    ReservationSubmitted,
    WaitlistOffered,
)

# service (the consumer's name) → the event types it consumes.
CONSUMERS: dict[str, tuple[str, ...]] = {
    "auth": (FamilyCreated.TYPE,),
    "families": (EmailChanged.TYPE,),
    "reservations": (
        FamilyUpdated.TYPE, ChildCreated.TYPE, ChildUpdated.TYPE, ChildLinked.TYPE,
        ChildUnlinked.TYPE,
    ),
    "billing": (
        FamilyUpdated.TYPE, ReservationSubmitted.TYPE, LineDecided.TYPE, Cancelled.TYPE,
        WaitlistOffered.TYPE,
    ),
    "notifier": (
        PasswordResetRequested.TYPE, AccountInvited.TYPE, EmailChangeRequested.TYPE,
        PasswordChanged.TYPE, ChangeRequestDecided.TYPE, InvoiceIssued.TYPE,
        PaymentSucceeded.TYPE, PaymentFailed.TYPE, ReservationSubmitted.TYPE,
        LineDecided.TYPE, WaitlistOffered.TYPE, Cancelled.TYPE, MandateCodeRequested.TYPE,
        MandateSigned.TYPE, DebitPrenotified.TYPE, DebitRejected.TYPE, LotteryDrawn.TYPE,
    ),
}


def consumers_of(event_type: str, topology: dict[str, tuple[str, ...]] | None = None
                 ) -> list[str]:
    """The services that consume `event_type`."""
    return [name for name, types in (CONSUMERS if topology is None else topology).items()
            if event_type in types]
