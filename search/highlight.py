"""The words of a query marked in a text: `<mark>` around each token whose
normalised form is a query word (so こども is marked in 子ども食堂), else
around each occurrence of the query as typed; everything else escaped.
Offsets come from text.tokens, which refer to clean(text)."""

from __future__ import annotations

from markupsafe import Markup, escape

from search.query import Query
from text import clean, tokens

SNIPPET = 120


def _spans(text: str, query: Query) -> list[tuple[int, int]]:
    words = set(query.terms)
    spans = [(t.start, t.end) for t in tokens(text, cleaned=True) if t.normalised in words] if words else []
    if not spans and query.text:
        start = text.find(query.text)
        while start >= 0:
            spans.append((start, start + len(query.text)))
            start = text.find(query.text, start + len(query.text))
    return spans


def _marked(text: str, spans: list[tuple[int, int]], start: int, end: int) -> Markup:
    out, at = [], start
    for s, e in spans:
        if s < at or e > end:
            continue
        out.append(escape(text[at:s]))
        out.append(Markup("<mark>") + escape(text[s:e]) + Markup("</mark>"))
        at = e
    out.append(escape(text[at:end]))
    return Markup("").join(out)


def _shown(raw: str | None) -> tuple[str, str]:
    """(the text as shown, the text as analysed): blanks collapsed in both,
    so token offsets of the second apply to the first; the first keeps its
    case (clean() lower-cases Latin letters)."""
    shown = " ".join((raw or "").split())
    cleaned = clean(shown)
    return (shown if len(shown) == len(cleaned) else cleaned), cleaned


def highlight(raw: str | None, query: Query | None, *, snippet: bool = False) -> Markup:
    """The text with the query's matches marked; with snippet=True, about
    SNIPPET characters around the first match."""
    text, cleaned = _shown(raw)
    if query is None:
        return escape(text[:SNIPPET] + ("…" if snippet and len(text) > SNIPPET else "")) if snippet else escape(text)
    spans = _spans(cleaned, query)
    start, end = 0, len(text)
    if snippet and len(text) > SNIPPET:
        first = spans[0][0] if spans else 0
        start = max(0, first - SNIPPET // 3)
        end = min(len(text), start + SNIPPET)
    body = _marked(text, spans, start, end)
    return (Markup("…") if start else Markup("")) + body + (Markup("…") if end < len(text) else Markup(""))
