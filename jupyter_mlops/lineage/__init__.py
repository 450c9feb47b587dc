"""Lineage across areas: the graph from feature views to deployments and back through
retraining (`graph.py`), and its figure (`figure.py`)."""
