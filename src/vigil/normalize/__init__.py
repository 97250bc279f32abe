"""Raw records → model objects: ``SignIn``, ``AuditEvent``, ``GraphActivity``,
``ServicePrincipal``, ``Application``, or ``Rejected`` (pure; never raises on bad input).

Entry points: :func:`normalize` (classify + dispatch, optional forced kind), :func:`classify`,
:func:`activity_key`. One module per wire shape: ``graph_signin``, ``la_signin``, ``audit``,
``la_audit``, ``graph_activity``, ``directory`` (+ ``credentials``), ``diagnostic``, and
``powershell`` (Graph objects saved by the PowerShell SDK, turned back into Graph JSON).
"""

from vigil.normalize.audit import activity_key
from vigil.normalize.classify import KINDS, SHAPE_KINDS, classify
from vigil.normalize.dispatch import NORMALIZERS, Normalized, normalize
from vigil.normalize.rejected import Rejected

__all__ = [
    "KINDS",
    "NORMALIZERS",
    "SHAPE_KINDS",
    "Normalized",
    "Rejected",
    "activity_key",
    "classify",
    "normalize",
]
