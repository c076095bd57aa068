"""Acknowledging a checkpoint decision: the Release Owner or Monitoring Owner signs that they saw it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.errors import Conflict, NotFound
from vigil.releases.models import Person
from vigil.releases.roles import authorize, roles_of
from vigil.releases.service import get_release
from vigil.signoffs.models import CheckpointAcknowledgement
from vigil.store import Store
from vigil.store.audit import append as audit
from vigil.watch.models import Checkpoint

ACK_ROLES = ("release_owner", "monitoring_owner")


def acknowledge_checkpoint(
    store: Store, release_ref: str | int, checkpoint_name: str, actor: str, now: datetime, note: str = ""
) -> CheckpointAcknowledgement:
    """Record ``actor``'s sign-off of a stored checkpoint decision; refused (and audited) without the role."""
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    authorize(store, release_id, actor, ACK_ROLES, f"acknowledge checkpoint {checkpoint_name}", now)
    held = roles_of(store, release_id, actor)
    with store.write() as session:
        checkpoint = session.scalar(
            select(Checkpoint).where(Checkpoint.release_id == release_id, Checkpoint.name == checkpoint_name)
        )
        if checkpoint is None or checkpoint.decision is None:
            raise NotFound(f"checkpoint {checkpoint_name} has no decision to acknowledge yet")
        person = session.scalar(select(Person).where(Person.name == actor))
        assert person is not None  # authorize() found their role
        done = session.scalar(
            select(CheckpointAcknowledgement.id).where(
                CheckpointAcknowledgement.checkpoint_id == checkpoint.id,
                CheckpointAcknowledgement.person_id == person.id,
            )
        )
        if done is not None:
            raise Conflict(f"{actor} already acknowledged {checkpoint_name}")
        ack = CheckpointAcknowledgement(
            checkpoint_id=checkpoint.id,
            release_id=release_id,
            person_id=person.id,
            roles=",".join(sorted(held & set(ACK_ROLES))),
            at=now,
            note=note.strip()[:2000],
        )
        session.add(ack)
        session.flush()
        audit(
            session,
            at=now,
            actor=actor,
            action="checkpoint.acknowledged",
            entity="checkpoint",
            entity_id=checkpoint.id,
            release_id=release_id,
            payload={
                "name": checkpoint_name,
                "decision": checkpoint.decision.go_no_go,
                "health": checkpoint.decision.health,
                "note": ack.note,
            },
        )
    return ack


def acknowledgements(session: Session, release_id: int) -> dict[int, list[CheckpointAcknowledgement]]:
    """Sign-offs of a release by checkpoint id."""
    out: dict[int, list[CheckpointAcknowledgement]] = {}
    query = (
        select(CheckpointAcknowledgement)
        .where(CheckpointAcknowledgement.release_id == release_id)
        .order_by(CheckpointAcknowledgement.at)
    )
    for ack in session.scalars(query):
        out.setdefault(ack.checkpoint_id, []).append(ack)
    return out
