"""Scenarios: policy regimes in TOML files, validated against the parameter registry."""

from sim.scenarios.scenario import (
    SCENARIO_DIR,
    Scenario,
    Value,
    load,
    parse_set,
    shipped,
    shipped_path,
)

__all__ = ["SCENARIO_DIR", "Scenario", "Value", "load", "parse_set", "shipped", "shipped_path"]
