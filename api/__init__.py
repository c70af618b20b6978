"""See DESIGN.md: the api room (not built yet)."""
