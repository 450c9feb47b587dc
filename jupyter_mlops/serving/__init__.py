"""Model deployments: specs, the serving process, its supervisor, the service every door calls."""
