"""`%mlops`: the kernel door. Each verb parses its arguments and calls a service."""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from ..errors import MLOpsError
from ..services import Services
from .args import parse
from .display import KeyValues


@magics_class
class MLOpsMagics(Magics):
    def __init__(self, shell):
        super().__init__(shell)
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        # Resolved on first use, from the environment the server exported to this
        # kernel (or from `.mlops/` found upward of the working directory).
        if self._services is None:
            self._services = Services.from_env()
        return self._services

    @line_magic
    def mlops(self, line: str):
        """jupyter_mlops from a cell. `%mlops --help` lists the verbs."""
        args = parse(line)
        try:
            return getattr(self, f"_{args.verb}")(args)
        except MLOpsError as err:
            # A mistake the user can fix: a one-line message, not a traceback.
            raise UsageError(f"%mlops {args.verb}: {err.message}") from None

    def _status(self, args):
        status = self.services.status()
        return status if args.json else KeyValues("jupyter_mlops status", status)
