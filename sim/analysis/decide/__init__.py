"""From what-if to what-to-do: policy search, scenario discovery and calibration."""
