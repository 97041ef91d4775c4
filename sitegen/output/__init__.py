"""Stage 6: writing the output folder safely."""
