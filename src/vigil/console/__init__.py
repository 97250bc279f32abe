"""The web console served by ``vigil serve`` at ``/``: risky workload identities, detections,
investigation and actions, over the same services, store and login as the Graph API."""

from vigil.console.routes import router

__all__ = ["router"]
