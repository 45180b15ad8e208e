"""Survey statistics of the monitor: calibration weights, what goes with resilience."""
