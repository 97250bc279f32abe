"""Graph's enums, with the exact member strings and order of the Graph CSDL.

Member names equal their values so that ``RiskLevel("low") is RiskLevel.low`` and the order of
declaration is Graph's order (see ``shared/spec/entra-graph-and-logs.md`` §1.3). Members declared
after an enum's ``unknownFutureValue`` sentinel are *evolvable*: Graph sends them only to clients
that ask with ``Prefer: include-unknown-enum-members``; :data:`EVOLVABLE` lists them.
"""

from __future__ import annotations

from enum import StrEnum


class RiskLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    hidden = "hidden"
    none = "none"
    unknownFutureValue = "unknownFutureValue"


class RiskState(StrEnum):
    none = "none"
    confirmedSafe = "confirmedSafe"
    remediated = "remediated"
    dismissed = "dismissed"
    atRisk = "atRisk"
    confirmedCompromised = "confirmedCompromised"
    unknownFutureValue = "unknownFutureValue"


class RiskDetail(StrEnum):
    none = "none"
    adminGeneratedTemporaryPassword = "adminGeneratedTemporaryPassword"
    userPerformedSecuredPasswordChange = "userPerformedSecuredPasswordChange"
    userPerformedSecuredPasswordReset = "userPerformedSecuredPasswordReset"
    adminConfirmedSigninSafe = "adminConfirmedSigninSafe"
    aiConfirmedSigninSafe = "aiConfirmedSigninSafe"
    userPassedMFADrivenByRiskBasedPolicy = "userPassedMFADrivenByRiskBasedPolicy"
    adminDismissedAllRiskForUser = "adminDismissedAllRiskForUser"
    adminConfirmedSigninCompromised = "adminConfirmedSigninCompromised"
    hidden = "hidden"
    adminConfirmedUserCompromised = "adminConfirmedUserCompromised"
    unknownFutureValue = "unknownFutureValue"
    m365DAdminDismissedDetection = "m365DAdminDismissedDetection"
    adminConfirmedServicePrincipalCompromised = "adminConfirmedServicePrincipalCompromised"
    adminDismissedAllRiskForServicePrincipal = "adminDismissedAllRiskForServicePrincipal"
    userChangedPasswordOnPremises = "userChangedPasswordOnPremises"
    adminDismissedRiskForSignIn = "adminDismissedRiskForSignIn"
    adminConfirmedAccountSafe = "adminConfirmedAccountSafe"
    microsoftRevokedSessions = "microsoftRevokedSessions"


class ActivityType(StrEnum):
    signin = "signin"
    user = "user"
    unknownFutureValue = "unknownFutureValue"
    servicePrincipal = "servicePrincipal"


class RiskDetectionTimingType(StrEnum):
    notDefined = "notDefined"
    realtime = "realtime"
    nearRealtime = "nearRealtime"
    offline = "offline"
    unknownFutureValue = "unknownFutureValue"


class TokenIssuerType(StrEnum):
    AzureAD = "AzureAD"
    ADFederationServices = "ADFederationServices"
    UnknownFutureValue = "UnknownFutureValue"
    AzureADBackupAuth = "AzureADBackupAuth"
    ADFederationServicesMFAAdapter = "ADFederationServicesMFAAdapter"
    NPSExtension = "NPSExtension"


class RiskEventType(StrEnum):
    """The workload-identity ``riskEventType`` ids (Graph types this property as a plain string)."""

    investigationsThreatIntelligence = "investigationsThreatIntelligence"
    suspiciousSignins = "suspiciousSignins"
    adminConfirmedServicePrincipalCompromised = "adminConfirmedServicePrincipalCompromised"
    leakedCredentials = "leakedCredentials"
    maliciousApplication = "maliciousApplication"
    suspiciousApplication = "suspiciousApplication"
    anomalousServicePrincipalActivity = "anomalousServicePrincipalActivity"
    suspiciousAPITraffic = "suspiciousAPITraffic"


class ServicePrincipalType(StrEnum):
    Application = "Application"
    ManagedIdentity = "ManagedIdentity"
    Legacy = "Legacy"
    SocialIdp = "SocialIdp"


class ClientCredentialType(StrEnum):
    none = "none"
    clientSecret = "clientSecret"
    clientAssertion = "clientAssertion"
    federatedIdentityCredential = "federatedIdentityCredential"
    managedIdentity = "managedIdentity"
    certificate = "certificate"
    unknownFutureValue = "unknownFutureValue"


class SignInKind(StrEnum):
    """Graph's ``signInEventTypes`` member that a workload sign-in carries."""

    servicePrincipal = "servicePrincipal"
    managedIdentity = "managedIdentity"


class MsiType(StrEnum):
    none = "none"
    userAssigned = "userAssigned"
    systemAssigned = "systemAssigned"
    unknownFutureValue = "unknownFutureValue"


#: Evolvable members (declared after the sentinel) per enum type.
def _evolvable(enum: type[StrEnum], sentinel: str = "unknownFutureValue") -> frozenset[str]:
    names = [m.value for m in enum]
    return frozenset(names[names.index(sentinel) + 1 :])


EVOLVABLE: dict[type[StrEnum], frozenset[str]] = {
    RiskLevel: _evolvable(RiskLevel),
    RiskState: _evolvable(RiskState),
    RiskDetail: _evolvable(RiskDetail),
    ActivityType: _evolvable(ActivityType),
    RiskDetectionTimingType: _evolvable(RiskDetectionTimingType),
    TokenIssuerType: _evolvable(TokenIssuerType, "UnknownFutureValue"),
}

#: Ordering of risk levels for aggregation; ``hidden`` and the sentinel rank as ``none``.
LEVEL_RANK: dict[RiskLevel, int] = {RiskLevel.low: 1, RiskLevel.medium: 2, RiskLevel.high: 3}


def level_rank(level: RiskLevel) -> int:
    return LEVEL_RANK.get(level, 0)
