"""The proposals layer, below the rooms: the proposal and its assignments
(models.py, fields as docs/proposal.md), the lifecycle (lifecycle.py,
docs/lifecycle.md), the operations that change a proposal's state, the
labels of its vocabulary and the response-time definition (metrics.py)."""
