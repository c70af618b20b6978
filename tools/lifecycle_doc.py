"""Regenerate docs/lifecycle.md from proposals/lifecycle.py:
`.venv/bin/python tools/lifecycle_doc.py` (a test checks they agree)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from window import create_app  # noqa: E402

INTRO = """# The proposal lifecycle

One table in `proposals/lifecycle.py` decides every state change; `proposals.operations.transition()` is the only code that changes `Proposal.state`. It locks the proposal row (`SELECT … FOR UPDATE` on PostgreSQL), checks that the move is in the table and that the actor is one of the parties allowed, requires a comment where the table says so, bumps `lock_version` (a form showing an older version gets a clear conflict) and writes an append-only event that is both the audit log and the timeline.

Parties: **applicant** (a member of the proposing organisation), **window** (staff of 自治推進部 and administrators), **department** (staff of a department with a live assignment on the proposal), **system** (routing rules with their ruleset version, the scheduler, the system).
"""

SIDE_EFFECTS = """## Side effects

- `info_requested` remembers the state it came from (`resume_state`); the applicant's answer (`answer_info_request`) returns the proposal there. The department's clock stops meanwhile.
- `not_adopted`, `withdrawn` and `merged` close every live assignment: nobody owes an answer any more.
- `assign()` moves the proposal to `assigned`, closes assignments that are no longer wanted (never deletes them) and creates the new lead / co-department assignments.
- Other rooms react through signals sent inside the same transaction: `proposal_transitioned`, `proposal_submitted`, `proposal_assigned` (`proposals/operations.py`).
"""


def render() -> str:
    from proposals.lifecycle import PUBLIC_STATE_LABELS, PUBLIC_STATE_OF, STATE_LABELS, TRANSITIONS

    lines = [INTRO, "```mermaid", "stateDiagram-v2", "    [*] --> draft"]
    lines += [f"    {t.source} --> {t.target}" for t in TRANSITIONS]
    lines += ["```", "", "## Transitions", "",
              "| from | to | who may | comment required | visible to the applicant |", "|---|---|---|---|---|"]
    for t in TRANSITIONS:
        parties = ", ".join(sorted(p.value for p in t.parties))
        lines.append(f"| {t.source} | {t.target} | {parties} | {'yes' if t.comment_required else 'no'} | "
                     f"{'yes' if t.public else 'no'} |")
    lines += ["", "## Internal and public states", "", "The applicant sees fewer states than staff.", "",
              "| internal state | 職員向け表示 | public state | 申請者向け表示 |", "|---|---|---|---|"]
    lines += [f"| {s} | {STATE_LABELS[s]} | {p} | {PUBLIC_STATE_LABELS[p]} |" for s, p in PUBLIC_STATE_OF.items()]
    lines += ["", SIDE_EFFECTS]
    return "\n".join(lines)


if __name__ == "__main__":
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        target = Path(__file__).resolve().parent.parent / "docs" / "lifecycle.md"
        target.write_text(render(), encoding="utf-8")
        print(f"wrote {target}")
