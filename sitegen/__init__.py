"""sitegen: a static-site generator for virtual companies."""

# The distribution is `sitegen-alliance` (pyproject.toml): `sitegen` on the
# public package index is another project. The starter's requirements.txt
# pins this version.
DISTRIBUTION = "sitegen-alliance"
__version__ = "0.1.0"
