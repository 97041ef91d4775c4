"""Stage 3: the public view, the only data templates receive."""
