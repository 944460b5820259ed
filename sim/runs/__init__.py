"""Runs: executing the model, seeding, executors and the results store."""
