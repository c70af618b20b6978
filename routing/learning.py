"""Learning from the window: every confirmation and every override is a
labelled example (the proposal's text and fields → the final lead and
co-departments). `flask routing train` and the nightly task train a new
model version on them, score it on examples it did not see, and store both.
The newest version is the one the engine consults (routing.store)."""

from __future__ import annotations

import random

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.audit import Actor, record_event
from core.extensions import db
from core.models import Department
from proposals.models import Proposal
from routing.model import Example, RoutingModel, score, train
from routing.models import DecisionKind, ModelVersion, RoutingRecord
from routing.store import proposal_input

MIN_EXAMPLES = 10
HELD_OUT = 0.2
SEED = 20261203


class NotEnoughExamples(Exception):
    pass


def examples() -> list[Example]:
    """One example per proposal the window decided: its latest confirmation
    or override (the lead and co-departments staff finally chose), oldest first."""
    latest = (
        sa.select(sa.func.max(RoutingRecord.id))
        .where(RoutingRecord.kind.in_([DecisionKind.CONFIRMED, DecisionKind.OVERRIDDEN]))
        .group_by(RoutingRecord.proposal_id)
    )
    records = db.session.scalars(sa.select(RoutingRecord).where(RoutingRecord.id.in_(latest))
                                 .order_by(RoutingRecord.id)).all()
    if not records:
        return []
    codes = dict(db.session.execute(sa.select(Department.id, Department.code)).all())
    proposals = {p.id: p for p in db.session.scalars(
        sa.select(Proposal).where(Proposal.id.in_([r.proposal_id for r in records]))
        .options(selectinload(Proposal.organisation), selectinload(Proposal.theme_links),
                 selectinload(Proposal.ward_links)))}
    found = []
    for record in records:
        proposal, lead = proposals.get(record.proposal_id), codes.get(record.lead_id)
        if proposal is None or lead is None:
            continue
        found.append(Example(proposal_input(proposal), lead, [c for c in record.co_codes or [] if c != lead],
                             proposal.reference or str(proposal.id)))
    return found


def split(rows: list[Example], held_out: float = HELD_OUT) -> tuple[list[Example], list[Example]]:
    """A fixed-seed split: the same examples are held out on every run."""
    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    cut = max(1, round(len(rows) * held_out)) if len(rows) >= MIN_EXAMPLES else 0
    held = set(order[:cut])
    return [r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held]


def train_version(actor: Actor, note: str = "") -> ModelVersion:
    """Train, score on the held-out examples, store as the next version."""
    rows = examples()
    if len(rows) < MIN_EXAMPLES or len({r.lead for r in rows}) < 2:
        raise NotEnoughExamples(f"{len(rows)} labelled examples; at least {MIN_EXAMPLES} with two leads are needed")
    training, held = split(rows)
    if len({r.lead for r in training}) < 2:
        training, held = rows, []
    number = (db.session.scalar(sa.select(sa.func.max(ModelVersion.version))) or 0) + 1
    model = train(training, version=number)
    accuracy = score(model, held) if held else None
    row = ModelVersion(version=number, trained_on=len(training), heldout_size=len(held),
                       heldout_score=accuracy, departments=model.classes, note=note, blob=model.dumps())
    db.session.add(row)
    db.session.flush()
    record_event(actor, "routing_model_trained",
                 data={"version": number, "trained_on": len(training), "heldout_size": len(held),
                       "heldout_score": accuracy})
    return row


_cache: dict[int, RoutingModel] = {}


def current_model() -> RoutingModel | None:
    """The newest stored model (unpickled once per process and version)."""
    version = db.session.scalar(sa.select(sa.func.max(ModelVersion.version)))
    if version is None:
        return None
    model = _cache.get(version)
    if model is None:
        blob = db.session.scalar(sa.select(ModelVersion.blob).where(ModelVersion.version == version))
        model = RoutingModel.loads(blob, version)
        _cache.clear()
        _cache[version] = model
    return model


def versions(limit: int = 20) -> list[ModelVersion]:
    return list(db.session.scalars(sa.select(ModelVersion).order_by(ModelVersion.version.desc()).limit(limit)))
