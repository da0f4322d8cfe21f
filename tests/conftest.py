"""Shared test settings: hypothesis profiles and a fresh graph per test."""

import os

import pytest
from hypothesis import HealthCheck, settings

import scalargraph as sg

# "dev" for quick local runs, "ci" (the default under CI) bounded for the CI budget,
# "nightly" for the long fuzzing mode: SCALARGRAPH_HYPOTHESIS=nightly python -m pytest
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=120, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("SCALARGRAPH_HYPOTHESIS",
                                     "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def fresh_graph():
    """Each test records into its own default graph, so no test sees another's nodes."""
    sg.reset_default_graph()
    yield
