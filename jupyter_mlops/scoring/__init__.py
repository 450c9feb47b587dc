"""Batch scoring: a model's predictions for a whole dataset, as versioned parquet."""
