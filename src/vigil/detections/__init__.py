"""Detectors: one module per riskEventType (``suspicious_signins.py``, ...), listed in ``registry``."""
