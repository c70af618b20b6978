"""See DESIGN.md: the routing room."""
