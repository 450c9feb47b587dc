"""Retraining: orchestration across areas, above them. A deployment's trigger fires on
drift or falling performance (monitoring), retrains through a job (jobs), registers the
result (registry) and rolls it out as a canary (deployments). `rules` says what a
trigger is and when it fires, `firings` records each firing, `watcher` carries them."""
