"""See DESIGN.md: the public room (not built yet)."""
