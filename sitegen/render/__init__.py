"""Stage 5: pages rendered to bytes with Jinja2, and checks of rendered pages."""
