"""See DESIGN.md: the proposals room."""
