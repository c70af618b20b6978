"""Forgiving input: normalise what people type (NFKC, full-width digits,
postal codes with or without the hyphen, Japanese phone formats, amounts
such as ３０万円) instead of rejecting it. Pure functions; each parser
returns the normalised value or raises ValueError."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal

from text import to_hiragana as fold_kana

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


def parse_phone(value: object) -> str:
    """Japanese numbers as people type them: 044-200-0000, (044)200-0000,
    ０９０－１２３４－５６７８, 09012345678, +81 90 1234 5678. Grouped as Japan's
    numbering plan groups them (the `phonenumbers` library), whatever hyphens
    were typed: 0465123456 -> 0465-12-3456 (Odawara's area code is 0465),
    0312345678 -> 03-1234-5678, 0120123456 -> 0120-123-456.
    ValueError("phone"): not 10 or 11 digits from a leading 0;
    ValueError("phone_unassigned"): no such number in the plan."""
    digits = re.sub(r"[\s()（）-]", "", _digits_and_dashes(value))
    if digits.startswith("+81"):
        digits = "0" + digits[3:]
    if not re.fullmatch(r"0\d{9,10}", digits):
        raise ValueError("phone")
    import phonenumbers  # its metadata: loaded when a number is first read, not at `flask` start-up

    number = phonenumbers.parse(digits, "JP")
    if not phonenumbers.is_valid_number(number):
        raise ValueError("phone_unassigned")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


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


# Each era's first day (the day after the emperor's accession or the day of it, as the law set it).
ERA_FIRST_DAYS = {"令和": date(2019, 5, 1), "平成": date(1989, 1, 8), "昭和": date(1926, 12, 25)}
_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}


def _era_last_day(era: str) -> date | None:
    """The day before the next era began (None for the current era)."""
    later = [first for first in ERA_FIRST_DAYS.values() if first > ERA_FIRST_DAYS[era]]
    return min(later) - timedelta(days=1) if later else None


def _era_year(era: str, year: str) -> int:
    return ERA_FIRST_DAYS[era].year - 1 + (1 if year == "元" else int(year))


def parse_year(value: object) -> int | None:
    """'2015', '２０１５年', '平成27年', 'H27' -> 2015. ValueError("era") for a
    year the era never had (平成32年: 平成 ended in its 31st year)."""
    text = re.sub(r"\s", "", nfkc(value)).removesuffix("年")
    if not text:
        return None
    era_match = re.fullmatch(r"(令和|平成|昭和|[RHS])(\d{1,2}|元)", text, re.IGNORECASE)
    if era_match:
        era = _ERA_LETTERS.get(era_match.group(1).upper(), era_match.group(1))
        year = _era_year(era, era_match.group(2))
        last_day = _era_last_day(era)
        if year < ERA_FIRST_DAYS[era].year or (last_day and year > last_day.year):
            raise ValueError("era")
        return year
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    raise ValueError("year")


def parse_date(value: object) -> date | None:
    """'2027-04-01', '2027/4/1', '2027年4月1日', '令和9年4月1日' -> date.
    ValueError("era") for an era date outside the era: 令和元年4月1日 was
    still 平成 (令和 began on 2019-05-01); ValueError("date") otherwise."""
    text = re.sub(r"\s", "", _digits_and_dashes(value))
    if not text:
        return None
    era_match = re.fullmatch(r"(令和|平成|昭和)(\d{1,2}|元)年(\d{1,2})月(\d{1,2})日?", text)
    if era_match:
        era, year, month, day = era_match.groups()
        moment = date(_era_year(era, year), int(month), int(day))
        last_day = _era_last_day(era)
        if moment < ERA_FIRST_DAYS[era] or (last_day and moment > last_day):
            raise ValueError("era")
        return moment
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
    if re.search(r"[<>\"'`{}|\\^]", text):  # never in a URL (RFC 3986); found by the hostile-input test
        raise ValueError("url")
    return text


def to_hiragana(value: object) -> str:
    """Katakana readings are accepted and stored as hiragana (the text layer's folding)."""
    return fold_kana(one_line(value))


def is_kana(text: str) -> bool:
    return bool(re.fullmatch(r"[\u3041-\u309f\u30fc・ 　0-9]+", text))
