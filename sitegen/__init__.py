"""sitegen: a static-site generator for virtual companies."""

__version__ = "0.1.0"
