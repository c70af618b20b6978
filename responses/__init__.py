"""See DESIGN.md: the responses room (not built yet)."""
