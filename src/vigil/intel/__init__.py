"""Threat intelligence: the indicator model, STIX 2.1 / MISP / CSV / text loaders, TAXII 2.1
polling, the in-memory matching set, and the ``vigil intel`` service (with retro-matching)."""
