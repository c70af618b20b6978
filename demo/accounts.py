"""The demo's accounts: staff of the window and of a few departments, one
applicant. Every step looks before it writes (safe to run twice)."""

from __future__ import annotations

import sqlalchemy as sa

from core.auth import hash_password
from core.extensions import db
from core.models import Role, User
from core.seed import department

DEMO_PASSWORD = "demo-pass-2026"

DEMO_STAFF = [
    ("admin@city.example.jp", "管理者 太郎", Role.ADMIN, "jichi"),
    ("window@city.example.jp", "窓口 花子", Role.WINDOW, "jichi"),
    ("window-manager@city.example.jp", "窓口 課長", Role.DEPARTMENT_MANAGER, "jichi"),
    ("fukushi@city.example.jp", "福祉 一郎", Role.DEPARTMENT_STAFF, "kenko-fukushi"),
    ("fukushi-manager@city.example.jp", "福祉 課長", Role.DEPARTMENT_MANAGER, "kenko-fukushi"),
    ("kodomo@city.example.jp", "未来 二郎", Role.DEPARTMENT_STAFF, "kodomo-mirai"),
    ("miyamae@city.example.jp", "宮前 三郎", Role.DEPARTMENT_STAFF, "ward-miyamae"),
    ("miyamae-manager@city.example.jp", "宮前 区長", Role.DEPARTMENT_MANAGER, "ward-miyamae"),
]
DEMO_APPLICANT = "npo@example.org"


def seed_demo_users() -> int:
    added = 0
    password_hash = None
    for email, name, role, dept_code in DEMO_STAFF:
        if db.session.scalar(sa.select(User.id).where(User.email == email)):
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        db.session.add(User(email=email, name=name, role=role, department=department(dept_code),
                            password_hash=password_hash))
        added += 1
    db.session.flush()
    return added
