"""The option sets the CLI and `%mlops` share, each declared once, and the request
builders that turn them into the bodies the services take: one module per area
(`jobs`, `project`, `deployments`, `monitoring`, `scoring`, `tuning`, `gates`), which a
door names as `options.<area>.<function>`.

Both doors call these: the CLI (`jupyter mlops`, whose parser prints and exits on bad
input) and the magic (`kernel/args.py`, whose parser raises IPython's UsageError). So
each function adds arguments to a parser, or verbs to a subparsers action, that it is
given, whatever its class; a verb's function returns the verb's parser, for what only one
door has (the CLI reads a file where the magic reads a DataFrame variable). Help that
speaks of what a door does with an option (`--json` prints, or returns a dict) is the
door's to say.

The same words given to either door build the same request body (`jobs.job_request`,
`deployments.deployment_request`), which the services then validate.
"""

from __future__ import annotations

from . import deployments, gates, jobs, monitoring, project, scoring, tuning

__all__ = ["deployments", "gates", "jobs", "monitoring", "project", "scoring", "tuning"]
