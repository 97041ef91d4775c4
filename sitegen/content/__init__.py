"""Stages 1-2: reading the site's files and turning them into the typed model."""
