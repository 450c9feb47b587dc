"""Hyperparameter searches: Optuna samples and prunes, our jobs run the trials."""
