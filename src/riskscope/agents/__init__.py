"""agents stage (see ../shared/DESIGN.md)."""
