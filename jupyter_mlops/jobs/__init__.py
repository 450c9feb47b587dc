"""Notebook training jobs: specs and parameters, the queue, the scheduler, the lifecycle
owner of each execution, and the executors (chosen from a registry) that run them."""
