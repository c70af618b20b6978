"""The HTML part of every email, made from its plain-text part so the two never
say different things: each paragraph of the text, each address a link (an
address on a line of its own — the page the text names the button of — as a
button-like link). One layout, templates/email/layout.html, for every kind of email;
each kind's words live in its own .txt template (core.outbox.queue_templated_email)."""

from __future__ import annotations

import re

from flask import render_template
from markupsafe import Markup, escape

URL = re.compile(r"https?://[^\s<>\"'）」]+")


def _linked(line: str) -> Markup:
    """One line of text, escaped, with its addresses as links."""
    out, last = [], 0
    for match in URL.finditer(line):
        out.append(escape(line[last:match.start()]))
        out.append(Markup('<a href="{0}">{0}</a>').format(match.group(0)))
        last = match.end()
    out.append(escape(line[last:]))
    return Markup("").join(out)


def paragraphs(text: str) -> list[dict]:
    """The text's paragraphs (blocks between blank lines): each a list of lines, or
    a lone address (shown as a button-like link)."""
    blocks = [block.strip("\n") for block in re.split(r"\n\s*\n", text.strip())]
    out = []
    for block in blocks:
        lines = block.splitlines()
        if len(lines) >= 2 and URL.fullmatch(lines[-1].strip()):
            # "詳しくは次のページ…" + the address: the words, then the link as a button.
            out.append({"lines": [_linked(line) for line in lines[:-1]], "button": lines[-1].strip()})
        elif len(lines) == 1 and URL.fullmatch(lines[0].strip()):
            out.append({"lines": [], "button": lines[0].strip()})
        else:
            out.append({"lines": [_linked(line) for line in lines], "button": None})
    return out


def html_part(subject: str, text: str, locale: str) -> str:
    return render_template("email/layout.html", subject=subject, paragraphs=paragraphs(text),
                           lang="en" if locale == "en" else "ja")
