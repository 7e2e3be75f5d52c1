"""The package's one version: pyproject.toml, ``dwevents.__version__`` and ``dwevents --version`` read it."""

__version__ = "0.1.0"
