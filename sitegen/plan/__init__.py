"""Stage 4: one URL, output path, template and context per page."""
