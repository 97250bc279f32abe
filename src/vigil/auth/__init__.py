"""Authentication (local tokens, OIDC JWTs) and Entra-role authorization; no web framework here."""

from vigil.auth.authenticator import Authenticator, TokenLookup, bearer_credentials
from vigil.auth.local import ApiToken, is_local_token, new_token, token_hash, token_hint
from vigil.auth.oidc import JwksFile, JwksUrl, JwtVerifier, OidcConfig
from vigil.auth.principal import AuthenticationError, AuthorizationError, Principal, require
from vigil.auth.roles import (
    GRANTS,
    ROLE_TEMPLATE_IDS,
    Permission,
    Role,
    allows,
    role_from_name,
    roles_from_claims,
)

__all__ = [
    "GRANTS",
    "ROLE_TEMPLATE_IDS",
    "ApiToken",
    "AuthenticationError",
    "Authenticator",
    "AuthorizationError",
    "JwksFile",
    "JwksUrl",
    "JwtVerifier",
    "OidcConfig",
    "Permission",
    "Principal",
    "Role",
    "TokenLookup",
    "allows",
    "bearer_credentials",
    "is_local_token",
    "new_token",
    "require",
    "role_from_name",
    "roles_from_claims",
    "token_hash",
    "token_hint",
]
