"""The kernel door: `%mlops` magics and display helpers for notebooks."""
