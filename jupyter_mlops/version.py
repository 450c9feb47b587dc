"""The package's version, generated from package.json at build time."""

try:
    from ._version import __version__
except ImportError:
    # Running from a source tree that was never built.
    import warnings

    warnings.warn("Importing 'jupyter_mlops' outside a proper installation.", stacklevel=2)
    __version__ = "dev"
