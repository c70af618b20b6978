"""Emails of the responses room, through the outbox, in each recipient's
language, with a link straight to the page where they act."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from core.extensions import db
from core.models import Department, Role, User
from core.outbox import queue_email
from core.urls import app_path
from proposals.models import Assignment, AssignmentRole, Proposal
from responses.models import DeadlineKind, EscalationLevel, Wait, WaitKind
from responses.recipients import detail_path


def render_room_email(template: str, locale: str, **context) -> tuple[str, str]:
    """Subject and body of one of this room's templates
    (templates/responses/email/<name>.txt, first line `Subject: …`) in
    `locale`, so the room's messages stay in the room's own catalogue."""
    with force_locale(locale):
        rendered = render_template(f"responses/email/{template}.txt", base_url=current_app.config["BASE_URL"],
                                   **context)
    first_line, _, body = rendered.lstrip().partition("\n")
    return first_line.removeprefix("Subject:").strip(), body.lstrip("\n")


def queue_room_email(to: str, template: str, *, key: str, locale: str, proposal_id: int | None, **context):
    """core.outbox.queue_templated_email for this room's templates."""
    subject, body = render_room_email(template, locale, **context)
    return queue_email(to, subject, body, key=key, locale=locale, proposal_id=proposal_id)


# Stands for the recipient's name while one email is rendered for all the
# recipients of a rung who read the same language (see email_rows).
_NAME_MARK = "\x00recipient\x00"
_SOMEONE = SimpleNamespace(name=_NAME_MARK, email=_NAME_MARK)


def email_rows(recipients: list[User], template: str, *, key: Callable[[User], str], proposal_id: int | None,
               **context) -> list[dict]:
    """One email per recipient as rows for core.outbox.queue_emails. The
    rung's templates greet the recipient by name and differ in nothing
    else, so each language is rendered once and the name put in after
    (a template that used more of the user would render per recipient)."""
    rendered: dict[str, tuple[str, str]] = {}
    rows = []
    for user in recipients:
        locale = user.locale or "ja"
        if locale not in rendered:
            rendered[locale] = render_room_email(template, locale, user=_SOMEONE, **context)
        subject, body = rendered[locale]
        name = user.name or user.email
        rows.append({"idempotency_key": key(user), "to_address": user.email, "subject": subject.replace(_NAME_MARK, name),
                     "body_text": body.replace(_NAME_MARK, name), "locale": locale, "proposal_id": proposal_id})
    return rows


def _department_staff(department_id: int) -> list[User]:
    return db.session.scalars(
        sa.select(User).where(
            User.active, User.department_id == department_id,
            User.role.in_([Role.DEPARTMENT_STAFF, Role.DEPARTMENT_MANAGER]),
        ).order_by(User.id)
    ).all()


def _context(assignment: Assignment) -> dict:
    proposal = assignment.proposal or db.session.get(Proposal, assignment.proposal_id)
    department = assignment.department or db.session.get(Department, assignment.department_id)
    return {"proposal": proposal, "department": department, "assignment": assignment,
            "link": detail_path(proposal.id), "lead": assignment.role == AssignmentRole.LEAD}


def notify_assigned(assignment: Assignment) -> int:
    """A proposal arrived in the department's inbox."""
    context = _context(assignment)
    sent = 0
    for user in _department_staff(assignment.department_id):
        queue_room_email(
            user.email, "assigned", key=f"responses:assigned:{assignment.id}:{user.id}",
            locale=user.locale or "ja", proposal_id=assignment.proposal_id, user=user, **context,
        )
        sent += 1
    return sent


def notify_outcome(assignment: Assignment, outcome) -> int:
    """The lead decided: a co-department's assignment closed with the outcome."""
    context = _context(assignment)
    sent = 0
    for user in _department_staff(assignment.department_id):
        queue_room_email(
            user.email, "outcome", key=f"responses:outcome:{assignment.id}:{user.id}",
            locale=user.locale or "ja", proposal_id=assignment.proposal_id, user=user, outcome=outcome, **context,
        )
        sent += 1
    return sent


def notify_applicant_replied(assignment: Assignment, event_id: int) -> int:
    """The applicant answered the department's question: the clock runs again."""
    context = _context(assignment)
    sent = 0
    for user in _department_staff(assignment.department_id):
        queue_room_email(
            user.email, "applicant_replied", key=f"responses:replied:{event_id}:{user.id}",
            locale=user.locale or "ja", proposal_id=assignment.proposal_id, user=user, **context,
        )
        sent += 1
    return sent


# Stand for a proposal's fields while deadline.txt is rendered once for
# many proposals (DeadlineEmails); `_MARK` finds every mark, the name's too.
_MARK = re.compile("\x00(recipient|reference|title|due|link)\x00")
_PROPOSAL_MARKS = SimpleNamespace(reference="\x00reference\x00", title="\x00title\x00")


class DeadlineEmails:
    """The emails of the departments' rungs in one sweep, as rows for
    core.outbox.queue_emails. deadline.txt differs between the proposals of
    a department only in the proposal's reference and title, the due date,
    the link and the recipient's name (the template uses nothing else of
    them), so it is rendered once per language, department, deadline and
    level with marks that each email then fills in: at 100,000 proposals
    the sweep rendered it 27,000 times, most of its time (docs/deadlines.md)."""

    def __init__(self):
        self.rendered: dict[tuple, tuple[str, str]] = {}

    def rows(self, *, proposal_id: int, reference: str, title: str, department: Department, kind: DeadlineKind,
             due_on: date, level: EscalationLevel, escalation_id: int, recipients: list[User]) -> list[dict]:
        """One email per recipient of the rung `escalation_id`."""
        values = {"reference": reference, "title": title, "due": str(due_on), "link": detail_path(proposal_id)}
        rows = []
        for user in recipients:
            locale = user.locale or "ja"
            values["recipient"] = user.name or user.email
            subject, body = self._rendered(locale, department, kind, level)
            if any("\x00" in value for value in values.values()):  # a value that holds a mark: render it whole
                subject, body = render_room_email(
                    "deadline", locale, user=user, level=level.value, kind=kind.value, due_on=due_on,
                    department=department, link=values["link"],
                    proposal=SimpleNamespace(id=proposal_id, reference=reference, title=title))
            else:
                subject, body = (_MARK.sub(lambda match: values[match[1]], text) for text in (subject, body))
            rows.append({"idempotency_key": f"responses:escalation:{escalation_id}:{user.id}",
                         "to_address": user.email, "subject": subject, "body_text": body, "locale": locale,
                         "proposal_id": proposal_id})
        return rows

    def _rendered(self, locale: str, department: Department, kind: DeadlineKind,
                  level: EscalationLevel) -> tuple[str, str]:
        key = (locale, department.id, kind, level)
        if key not in self.rendered:
            self.rendered[key] = render_room_email(
                "deadline", locale, user=_SOMEONE, level=level.value, kind=kind.value, due_on="\x00due\x00",
                department=department, link="\x00link\x00", proposal=_PROPOSAL_MARKS)
        return self.rendered[key]


def wait_emails(wait: Wait, level: EscalationLevel, due_on: date, escalation_id: int, recipients: list[User],
                proposal: Proposal, department: Department | None, question: str | None) -> list[dict]:
    """A rung of a wait's ladder: the applicant's reminder (their language, a
    link to their status page), or the staff who must act (the window's
    triage desk, or the department's page for a silent applicant); rows for
    core.outbox.queue_emails. The sweep passes the proposal, the department
    that asked and the question, read for a whole batch at once."""
    applicant = wait.kind == WaitKind.APPLICANT and level == EscalationLevel.REMINDER
    template = "applicant_reminder" if applicant else "wait"
    by_link: dict[str, list[User]] = {}  # the link differs between the window and the department
    for user in recipients:
        if applicant:
            link = app_path("intake.status", reference=proposal.reference)
        elif wait.kind == WaitKind.TRIAGE or _is_window(user):
            link = app_path("triage.detail", reference=proposal.reference)  # where the window acts (or resumes)
        else:
            link = detail_path(proposal.id)  # the department's page
        by_link.setdefault(link, []).append(user)
    rows = []
    for link, users in by_link.items():
        rows += email_rows(users, template, key=lambda user: f"responses:wait:{escalation_id}:{user.id}",
                           proposal_id=proposal.id, proposal=proposal, department=department, level=level.value,
                           wait=wait.kind.value, due_on=due_on, since=wait.started_at, question=question, link=link)
    order = {user.id: n for n, user in enumerate(recipients)}
    return sorted(rows, key=lambda row: order[int(row["idempotency_key"].rsplit(":", 1)[1])])


def _is_window(user: User) -> bool:
    if user.role in (Role.WINDOW, Role.ADMIN):
        return True
    department = user.department
    return department is not None and department.kind.value == "triage"
