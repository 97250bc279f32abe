"""Vigil: open, self-hosted workload identity protection for Microsoft Entra."""

__version__ = "0.1.0"
