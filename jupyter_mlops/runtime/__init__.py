"""What several areas use to run things on this host: process groups and GPUs."""
