"""Analysis: comparisons, experiments, sensitivity analysis and validation."""
