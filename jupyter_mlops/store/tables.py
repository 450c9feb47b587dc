"""Tables of the state DB as the code sees them; migrations/ creates and alters them."""

from sqlalchemy import Column, Float, Integer, MetaData, String, Table

metadata = MetaData()

agent_lease = Table(
    "agent_lease",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(255)),
    Column("host", String(255)),
    Column("pid", Integer),
    Column("acquired_at", Float),
    Column("renewed_at", Float),
    Column("expires_at", Float, nullable=False),
)
