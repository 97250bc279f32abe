"""Synthetic Graph JSON Lines of service-principal sign-ins, fast to generate in bulk.

Used by ``bench/ingest.py`` and by the crash test. Each line is a full beta ``signIn`` object in
the shape Graph returns (about 1.6 KB, like the real thing); ids are deterministic per seed.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

_TEMPLATE = (
    '{{"id":"{id}","createdDateTime":"{time}","userDisplayName":null,"userPrincipalName":null,'
    '"userId":"","appId":"{app}","appDisplayName":"{name}","ipAddress":"{ip}",'
    '"ipAddressFromResourceProvider":null,"clientAppUsed":null,"userAgent":"{ua}",'
    '"correlationId":"{corr}","conditionalAccessStatus":"notApplied","originalRequestId":"{id}",'
    '"isInteractive":false,"tokenIssuerName":"","tokenIssuerType":"AzureAD",'
    '"clientCredentialType":"{cred}","processingTimeInMilliseconds":{ms},"riskDetail":"none",'
    '"riskLevelAggregated":"none","riskLevelDuringSignIn":"none","riskState":"none",'
    '"riskEventTypes_v2":[],"resourceDisplayName":"Microsoft Graph",'
    '"resourceId":"00000003-0000-0000-c000-000000000000",'
    '"resourceTenantId":"8c5d1f3e-2a47-4b9d-9e61-3f0a7c2b5d14","homeTenantId":"",'
    '"resourceServicePrincipalId":"a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",'
    '"servicePrincipalName":"{name}","servicePrincipalId":"{sp}",'
    '"servicePrincipalCredentialKeyId":"{key}","servicePrincipalCredentialThumbprint":"",'
    '"federatedCredentialId":"","uniqueTokenIdentifier":"{uti}","autonomousSystemNumber":{asn},'
    '"signInEventTypes":["servicePrincipal"],"sessionId":"","incomingTokenType":"none",'
    '"authenticationProtocol":"none","crossTenantAccessType":"none",'
    '"status":{{"errorCode":{err},"failureReason":{reason},"additionalDetails":null}},'
    '"location":{{"city":"{city}","state":"{state}","countryOrRegion":"{country}",'
    '"geoCoordinates":{{"altitude":null,"latitude":{lat},"longitude":{lon}}}}},'
    '"managedServiceIdentity":{{"msiType":"none","associatedResourceId":null,'
    '"federatedTokenId":null,"federatedTokenIssuer":null}},"appliedConditionalAccessPolicies":[],'
    '"authenticationProcessingDetails":[{{"key":"Azure AD App Authentication Library",'
    '"value":"Family: MSAL Library: MSAL.Python 1.24.0 Platform: Python"}}],'
    '"networkLocationDetails":[],"appliedEventListeners":[],"authenticationAppDeviceDetails":null,'
    '"authenticationAppPolicyEvaluationDetails":[],"privateLinkDetails":null}}'
)

_PLACES = [
    ("Amsterdam", "Noord-Holland", "NL", 52.37, 4.89, "20.50.2.{}", 8075),
    ("Dublin", "Dublin", "IE", 53.34, -6.26, "52.169.10.{}", 16509),
    ("Boydton", "Virginia", "US", 36.66, -78.38, "40.76.4.{}", 8075),
    ("Frankfurt am Main", "Hesse", "DE", 50.11, 8.68, "35.198.64.{}", 15169),
]
_AGENTS = ["python-requests/2.31.0", "azsdk-python-identity/1.15.0", "Go-http-client/2.0"]


def write_signins(path: Path, count: int, *, seed: int = 1, principals: int = 2000) -> None:
    """Write ``count`` sign-ins of ``principals`` service principals to ``path`` (JSON Lines)."""
    rng = random.Random(seed)
    sps = [
        (str(uuid.UUID(int=rng.getrandbits(128), version=4)),
         str(uuid.UUID(int=rng.getrandbits(128), version=4)),
         f"svc-{n:05d}",
         str(uuid.UUID(int=rng.getrandbits(128), version=4)),
         _PLACES[n % len(_PLACES)],
         _AGENTS[n % len(_AGENTS)])
        for n in range(principals)
    ]
    start = datetime(2026, 9, 1, tzinfo=UTC)
    step = timedelta(days=30) / max(count, 1)
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            sp, app, name, key, place, ua = sps[rng.randrange(principals)]
            city, state, country, lat, lon, ip, asn = place
            failed = rng.random() < 0.02
            line = _TEMPLATE.format(
                id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                time=(start + step * n).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z",
                app=app, name=name, sp=sp, key=key, ua=ua,
                ip=ip.format(rng.randrange(1, 250)),
                corr=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                cred="clientSecret", ms=rng.randrange(10, 300),
                uti=f"{rng.getrandbits(96):024x}", asn=asn,
                err=7000215 if failed else 0,
                reason='"Invalid client secret provided."' if failed else "null",
                city=city, state=state, country=country, lat=lat, lon=lon,
            )
            out.write(line)
            out.write("\n")
