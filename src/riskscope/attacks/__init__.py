"""attacks stage (see ../shared/DESIGN.md)."""
