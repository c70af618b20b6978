"""Forgiving input: normalise what people type (NFKC, full-width digits,
postal codes with or without the hyphen, Japanese phone formats, amounts
such as ３０万円) instead of rejecting it. Pure functions; each parser
returns the normalised value or raises ValueError."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

# Dashes people type between digits (NFKC maps full-width －; these survive it).
_DASHES = "‐‑‒–—―−ーｰ─━"
_DASH_TABLE = str.maketrans({c: "-" for c in _DASHES})


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def strip_controls(text: str) -> str:
    """Control characters (NUL above all: PostgreSQL refuses it) and lone surrogates go."""
    return _CONTROLS.sub("", text)


def nfkc(value: object) -> str:
    """NFKC, trimmed; None becomes an empty string. Line breaks are kept."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", strip_controls(str(value)))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def one_line(value: object) -> str:
    """NFKC and inner whitespace collapsed to one space (names, titles)."""
    return re.sub(r"\s+", " ", nfkc(value))


def _digits_and_dashes(value: object) -> str:
    return nfkc(value).translate(_DASH_TABLE)


def parse_postal_code(value: object) -> str:
    """'2160001', '216-0001', '〒２１６－０００１' -> '216-0001'."""
    text = re.sub(r"[\s〒-]", "", _digits_and_dashes(value))
    if not re.fullmatch(r"\d{7}", text):
        raise ValueError("postal code")
    return f"{text[:3]}-{text[3:]}"


_MOBILE = re.compile(r"0[5789]0\d{8}")


def parse_phone(value: object) -> str:
    """Common Japanese formats: 044-200-0000, (044)200-0000, ０９０－１２３４－５６７８,
    09012345678, +81 90 1234 5678. Returns digits grouped with hyphens."""
    text = _digits_and_dashes(value)
    text = re.sub(r"[\s()（）]", lambda m: "-" if m.group() in "()（）" else "", text)
    if text.startswith("+81"):
        text = "0" + text[3:].lstrip("-")
    text = re.sub(r"-+", "-", text).strip("-")
    digits = text.replace("-", "")
    if not re.fullmatch(r"0\d{9,10}", digits):
        raise ValueError("phone")
    if "-" in text and len(text.split("-")) == 3:
        return text  # keep the person's own grouping (area codes vary in length)
    if _MOBILE.fullmatch(digits):
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if digits.startswith("0120") and len(digits) == 10:
        return f"{digits[:4]}-{digits[4:7]}-{digits[7:]}"
    if digits.startswith(("03", "06")) and len(digits) == 10:
        return f"{digits[:2]}-{digits[2:6]}-{digits[6:]}"
    if len(digits) == 10:  # most area codes such as 044 (Kawasaki) have three digits
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return digits


_AMOUNT = re.compile(r"(?:(\d+(?:\.\d+)?)億)?(?:(\d+(?:\.\d+)?)万)?(?:(\d+(?:\.\d+)?)千)?(\d*)")


def parse_amount(value: object) -> int | None:
    """Yen amounts: 300000, 300,000, ３０万円, 30万円, ¥300,000, 1億2000万円, 1.5万.
    Empty input is None."""
    text = nfkc(value)
    text = re.sub(r"[\s,、¥円]|^約|程度$|くらい$", "", text)
    text = text.replace("ほど", "")
    if not text:
        return None
    match = _AMOUNT.fullmatch(text)
    if not match or not any(match.groups()):
        raise ValueError("amount")
    oku, man, sen, rest = match.groups()
    # Decimal, not float: exact, and a very long number is just large (the form
    # then says how large it may be), never infinity or an OverflowError.
    total = Decimal(0)
    total += Decimal(oku) * 100_000_000 if oku else 0
    total += Decimal(man) * 10_000 if man else 0
    total += Decimal(sen) * 1_000 if sen else 0
    total += Decimal(rest) if rest else 0
    if total != total.to_integral_value():
        raise ValueError("amount")
    return int(total)


def corporate_number_check_digit(base12: str) -> int:
    """The check digit of a 法人番号 (National Tax Agency rule): with the
    12-digit base number's digits P_n counted from the right (n = 1 … 12)
    and Q_n = 1 for odd n, 2 for even n: 9 - (Σ P_n × Q_n mod 9)."""
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def parse_corporate_number(value: object) -> str | None:
    text = re.sub(r"[\s-]", "", _digits_and_dashes(value))
    if not text:
        return None
    if not re.fullmatch(r"\d{13}", text):
        raise ValueError("length")
    if int(text[0]) != corporate_number_check_digit(text[1:]):
        raise ValueError("check digit")
    return text


def parse_int(value: object, *, suffixes: str = "") -> int | None:
    """'１５', '約30人', '2015年' -> int; empty is None."""
    text = re.sub(r"[\s,]", "", nfkc(value))
    text = re.sub(r"^(約|およそ)", "", text)
    if suffixes:
        text = re.sub(f"[{suffixes}]+$", "", text)
    if not text:
        return None
    if not re.fullmatch(r"\d+", text):
        raise ValueError("integer")
    return int(Decimal(text))  # int(str) refuses more than 4300 digits; the form bounds the value


_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988, "S": 1925}


def parse_year(value: object) -> int | None:
    """'2015', '２０１５年', '平成27年', 'H27' -> 2015."""
    text = re.sub(r"\s", "", nfkc(value)).removesuffix("年")
    if not text:
        return None
    for era, offset in _ERAS.items():
        if text.upper().startswith(era):
            rest = text[len(era):]
            rest = "1" if rest == "元" else rest
            if re.fullmatch(r"\d{1,2}", rest):
                return offset + int(rest)
            raise ValueError("year")
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    raise ValueError("year")


def parse_date(value: object) -> date | None:
    """'2027-04-01', '2027/4/1', '2027年4月1日', '令和9年4月1日' -> date."""
    text = re.sub(r"\s", "", _digits_and_dashes(value))
    if not text:
        return None
    era_match = re.fullmatch(r"(令和|平成)(\d{1,2}|元)年(\d{1,2})月(\d{1,2})日?", text)
    if era_match:
        era, year, month, day = era_match.groups()
        year = _ERAS[era] + (1 if year == "元" else int(year))
        return date(year, int(month), int(day))
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
    if not match:
        raise ValueError("date")
    return date(*(int(part) for part in match.groups()))


def parse_url(value: object) -> str | None:
    text = re.sub(r"\s", "", nfkc(value))
    if not text:
        return None
    if not re.match(r"https?://", text, re.IGNORECASE):
        text = "https://" + text
    if not re.fullmatch(r"https?://[^/\s.]+(\.[^/\s.]+)+(/\S*)?", text, re.IGNORECASE) or len(text) > 300:
        raise ValueError("url")
    return text


def to_hiragana(value: object) -> str:
    """Katakana readings are accepted and stored as hiragana."""
    text = one_line(value)
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def is_kana(text: str) -> bool:
    return bool(re.fullmatch(r"[\u3041-\u309f\u30fc・ 　0-9]+", text))
