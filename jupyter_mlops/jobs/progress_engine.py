"""A papermill engine that reports progress (cell i of n) as the notebook runs."""

from __future__ import annotations

from papermill.engines import NBClientEngine, papermill_engines

ENGINE_NAME = "jupyter_mlops"


class ProgressEngine(NBClientEngine):
    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, mlops_progress=None, **kwargs):
        if mlops_progress is not None:
            total = sum(1 for cell in nb_man.nb.cells if cell.cell_type == "code")
            done = 0
            mlops_progress(done, total)
            complete = nb_man.cell_complete

            def cell_complete(cell, cell_index=None, **more):
                nonlocal done
                complete(cell, cell_index=cell_index, **more)
                if cell.cell_type == "code":
                    done += 1
                    mlops_progress(done, total)

            nb_man.cell_complete = cell_complete
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)


def register_engine() -> None:
    papermill_engines.register(ENGINE_NAME, ProgressEngine)
