"""See DESIGN.md: the intake room."""
