"""Alembic environment: always run on a connection handed over by StateStore.migrate."""

from alembic import context

from jupyter_mlops.store.db import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    version_table=VERSION_TABLE,
    # sqlite cannot ALTER most things; batch mode rebuilds tables when a later
    # migration needs it, and is a no-op elsewhere.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
