"""Helpers shared by the intake tests."""

from __future__ import annotations

import io
import re


def tiny_pdf(text: str = "Kawasaki proposal") -> bytes:
    """A small, valid one-page PDF (with a correct xref table)."""
    stream = f"BT /F1 18 Tf 30 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def sign_in(client, user) -> None:
    """Sign a user in on a test client (Flask-Login session keys)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


CSRF_FIELD = re.compile(r'(name="csrf_token"[^>]*value=")([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return CSRF_FIELD.search(html).group(2)


def comparable_page(html: str, email: str | None = None) -> str:
    """A page with what differs by design taken out: the address itself, proposal ids and
    CSRF tokens (signed with a timestamp, so two requests a second apart differ)."""
    html = CSRF_FIELD.sub(r'\1TOKEN"', html)
    html = re.sub(r"/proposals/\d+/", "/proposals/N/", html)
    return html.replace(email, "EMAIL") if email else html


def errors_in(html: str) -> list[str]:
    return re.findall(r'class="error-message"[^>]*>([^<]+)<', html)


# A complete, valid set of answers for every step (half-width and full-width mixed).
VALID_STEPS = {
    1: {"name": "ＮＰＯ法人たかつ子ども応援団", "name_kana": "タカツコドモオウエンダン", "kind": "npo_corp",
        "corporate_number": "７０００－０１２０－５０００２", "representative": "理事長 高津 花子",
        "postal_code": "２１３０００１", "address": "川崎市高津区溝口１－２－３", "phone": "（０４４）８１２－３４５６",
        "website": "takatsu-kodomo.example.jp", "founded_year": "平成２７年", "member_count": "約２５人"},
    2: {"contact_name": "高津 一郎", "contact_email": "ＩＣＨＩＲＯ@Example.JP", "contact_phone": "０９０ー１２３４ー５６７８",
        "past_collaboration": "2024年に高津区役所と子ども食堂の広報で協働しました。"},
    3: {"title": "高津区の子ども食堂と学習支援", "summary": "放課後の子どもに食事と学習の場を用意します。",
        "issue": "共働き家庭が増え、放課後にひとりで過ごす子どもが増えています。",
        "activities": "週2回、地域の集会所で夕食と宿題の時間を用意します。", "outcomes": "参加人数と保護者アンケートで測ります。"},
    4: {"scope": "ward", "wards": ["ward-takatsu"], "themes": ["child-poverty", "youth"], "stage": "established"},
    5: {"support_requested": ["venue", "publicity"], "partners_wanted": ["university"], "budget_total": "８０万円",
        "budget_requested": "300,000", "period_start": "2027-04-01", "period_end": "2028-03-31",
        "exit_strategy": "business", "exit_note": "2年目以降は参加費と企業協賛で自走する"},
}
