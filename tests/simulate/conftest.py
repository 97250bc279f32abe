"""Small simulated tenants (40 principals, 10 days), written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from simfiles import write


@pytest.fixture(scope="session")
def sim_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sim")


@pytest.fixture(scope="session")
def graph_out(sim_root) -> Path:
    return write(sim_root, "graph", shape="graph")


@pytest.fixture(scope="session")
def la_out(sim_root) -> Path:
    return write(sim_root, "loganalytics", shape="loganalytics")


@pytest.fixture(scope="session")
def csv_out(sim_root) -> Path:
    return write(sim_root, "csv", shape="loganalytics-csv")
