"""The people of the public demo set: the organisations that propose (one
member each), the window's desk and one member of staff per department.
Created at the start of the demo's history (the kernel's clock is set to it
by demo/public.py), so nobody acts before their account exists."""

from __future__ import annotations

import random

import sqlalchemy as sa

from core.audit import Actor
from core.auth import hash_password
from core.extensions import db
from core.models import Department, Membership, Organisation, OrganisationKind, Role, User
from demo.accounts import DEMO_PASSWORD
from demo.fragments import GIVEN, ORG_PATTERNS, ORG_WORDS, SURNAMES, WARDS

WINDOW_EMAIL = "window@city.example.jp"


class Cast:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
        self._password_hash: str | None = None
        self._staff: dict[int, User] = {}
        self.window_user = self._window_user()
        self.window = Actor.of_user(self.window_user)
        # (organisation, home ward code, its member) for each proposing organisation
        self.members: list[tuple[Organisation, str, User]] = []

    def _hash(self) -> str:
        if self._password_hash is None:
            self._password_hash = hash_password(DEMO_PASSWORD)
        return self._password_hash

    def _window_user(self) -> User:
        user = db.session.scalar(sa.select(User).where(User.email == WINDOW_EMAIL))
        if user is None:
            user = User(email=WINDOW_EMAIL, name="窓口 担当", role=Role.WINDOW, department=self.departments["jichi"],
                        password_hash=self._hash())
            db.session.add(user)
            db.session.flush()
        return user

    def staff_of(self, department: Department) -> User:
        """A member of the department's staff (created for the demo if it has none)."""
        if department.id not in self._staff:
            user = db.session.scalar(
                sa.select(User).where(User.department_id == department.id, User.role != Role.APPLICANT)
                .order_by(User.id).limit(1)
            )
            if user is None:
                user = User(email=f"{department.code}@city.example.jp", name=department.name_ja + " 担当",
                            role=Role.DEPARTMENT_STAFF, department=department, password_hash=self._hash())
                db.session.add(user)
                db.session.flush()
            self._staff[department.id] = user
        return self._staff[department.id]

    def department(self, department_id: int) -> Department:
        return next(d for d in self.departments.values() if d.id == department_id)

    def actor_of(self, department_id: int) -> Actor:
        return Actor.of_user(self.staff_of(db.session.get(Department, department_id)))

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + " " + self.rng.choice(GIVEN)

    def organisations(self) -> list[tuple[Organisation, str, User]]:
        """Seven organisations of each kind, spread over the wards."""
        rng = self.rng
        ward_codes = list(WARDS)
        n = 0
        for kind in OrganisationKind:
            for i in range(7):
                n += 1
                ward_code = ward_codes[(i + n) % len(ward_codes)]
                ward_name, towns = WARDS[ward_code]
                town = rng.choice(towns)
                pattern = rng.choice(ORG_PATTERNS[kind])
                name = pattern.format(area=rng.choice(["かわさき", ward_name[:-1], town, ""]), word=rng.choice(ORG_WORDS),
                                      town=town, ward=ward_name)
                if any(o.name == name for o, _, _ in self.members):
                    name = f"{name}（{town}）"
                email = f"demo-org-{n:03d}@example.org"
                user = db.session.scalar(sa.select(User).where(User.email == email))
                if user is None:
                    user = User(email=email, name=self.person(), role=Role.APPLICANT)
                    db.session.add(user)
                organisation = Organisation(
                    name=name, kind=kind, city=f"川崎市{ward_name}", representative=self.person(),
                    postal_code=f"21{rng.randint(0, 9)}-{rng.randint(0, 9999):04d}",
                    address=f"川崎市{ward_name}{town}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}",
                    phone=f"044-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                    founded_year=rng.randint(1965, 2023), member_count=rng.randint(5, 300),
                )
                organisation.memberships.append(Membership(user=user))
                db.session.add(organisation)
                self.members.append((organisation, ward_code, user))
        db.session.flush()
        return self.members
