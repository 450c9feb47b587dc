"""Monitoring of deployed models: drift of inputs and predictions against a reference,
ground-truth labels and the live performance they give. `Services.monitoring` is the
entry point; `drift` holds the statistics, free of any store."""
