"""jupyter_mlops: notebook-centric MLOps for JupyterLab."""

try:
    from ._version import __version__
except ImportError:
    # Running from a source tree that was never built: the version is generated
    # from package.json at build time.
    import warnings

    warnings.warn("Importing 'jupyter_mlops' outside a proper installation.", stacklevel=2)
    __version__ = "dev"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyter-mlops"}]


def _jupyter_server_extension_points():
    # Imported here so that `import jupyter_mlops` in a kernel does not pull in the server.
    from .server.app import MLOpsApp

    return [{"module": "jupyter_mlops.server.app", "app": MLOpsApp}]


def load_ipython_extension(ipython):
    """`%load_ext jupyter_mlops`: register the `%mlops` magics."""
    from .kernel.magics import MLOpsMagics

    ipython.register_magics(MLOpsMagics)
