"""The team stack on one machine: PostgreSQL (the state DB and MLflow's backend store), an
MLflow tracking server, a Ray head and, if asked, JupyterLab configured for all three.

It is how a team tries the multi-user setup before pointing the same settings at its own
servers. Everything lives in one folder: the database cluster, MLflow's artifacts, the
logs (`logs/*.log`), the secrets (`secrets/`, mode 0700) and `team.json`, which says what
runs where. Each service runs detached, in a session of its own, so `up` returns and
`down` (from any shell) stops each with everything it started. Data is kept across
`down` and `up`; removing the folder starts afresh.
"""

from .errors import TeamError
from .stack import NAMES, Ports, Team

__all__ = ["NAMES", "Ports", "Team", "TeamError"]
