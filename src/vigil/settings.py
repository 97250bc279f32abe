"""Typed settings, loaded once at the edge (``vigil.app``) and passed down. No singleton.

Sources, highest priority first: explicit overrides (CLI options), environment variables with the
``VIGIL_`` prefix (nested sections with ``__``, e.g. ``VIGIL_API__PUBLIC_URL``), a TOML file
(``--config FILE`` or ``VIGIL_CONFIG``), then the defaults below.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///vigil.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    #: Absolute base URL clients see (used in ``@odata.nextLink``); default: from the request.
    public_url: str | None = None
    page_size: int = Field(default=100, ge=1, le=1000)


class AuthSettings(BaseModel):
    """OIDC bearer tokens for the API (local ``vigil token`` tokens need no settings).

    OIDC is on when ``issuer``, ``audience`` and one of ``jwks_url`` / ``jwks_file`` are set. Entra:
    issuer ``https://login.microsoftonline.com/TENANT/v2.0`` (v1 tokens:
    ``https://sts.windows.net/TENANT/``), JWKS ``https://login.microsoftonline.com/TENANT/discovery/v2.0/keys``.
    """

    issuer: str | list[str] | None = None
    audience: str | list[str] | None = None
    jwks_url: str | None = None
    jwks_file: Path | None = None
    #: Claim holding app-role names or values ("Security Reader" / "SecurityReader").
    roles_claim: str = "roles"
    #: Claim recorded as ``initiatedBy`` in the risk history.
    actor_claim: str = "sub"
    leeway_seconds: int = Field(default=60, ge=0, le=600)

    @model_validator(mode="after")
    def _complete(self) -> AuthSettings:
        given = [self.issuer, self.audience, self.jwks_url or self.jwks_file]
        if any(given) and not all(given):
            raise ValueError("auth needs issuer, audience and jwks_url or jwks_file together")
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.issuer)


class EnrichSettings(BaseModel):
    """Offline IP enrichment. geoip2fast's bundled GeoLite2 data is used unless .mmdb files are set."""

    #: MaxMind GeoIP2/GeoLite2 Country or City database; takes precedence for countries.
    country_mmdb: Path | None = None
    #: MaxMind GeoLite2 ASN database; takes precedence for ASNs.
    asn_mmdb: Path | None = None
    #: Extra hosting ASNs and CIDR ranges on top of the curated list (enrich/hosting_asns.csv).
    extra_hosting_asns: list[int] = []
    extra_hosting_cidrs: list[str] = []


class IndicatorSettings(BaseModel):
    """Threat intelligence and leaked-credential matching (``vigil intel``, ``vigil scan``).

    The server key (HMAC key of the credential registry) is ``server_key`` when set (e.g.
    ``VIGIL_INDICATORS__SERVER_KEY``), else the contents of ``server_key_file``, created with mode
    0600 on first use. TAXII collections are URLs ``https://[user:password@]host/api-root/
    collections/<id>/``. ``github_public_keys_file`` holds GitHub's secret-scanning public keys in
    the shape of ``https://api.github.com/meta/public_keys/secret_scanning``.
    """

    server_key: SecretStr | None = None
    server_key_file: Path = Path("vigil-server.key")
    taxii_collections: list[str] = []
    #: How far back a new indicator is matched against stored activity.
    retro_match_days: int = Field(default=90, ge=0, le=3650)
    github_public_keys_file: Path | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VIGIL_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = DEFAULT_DATABASE_URL
    tenant_id: str | None = None
    #: Log level when no ``-v`` / ``-q`` is given: DEBUG, INFO, WARNING, ERROR or CRITICAL.
    log_level: str = "WARNING"
    #: How long a command waits for the store's write lock while another writer holds it (a
    #: ``vigil detect --rebuild``, an ingest, an index build), then fails: ``--lock-wait``. Each
    #: wait has this bound; a long command (an ingest, ``--follow``) may wait several times.
    #: None (the default): as long as it takes; 0: not at all. ``vigil serve`` waits 30 s, then
    #: answers 503.
    lock_wait_seconds: float | None = Field(default=None, ge=0)
    #: After this long waiting for the write lock, a command says so on stderr (not with ``-q``).
    lock_notice_seconds: float = Field(default=5.0, ge=0)
    api: ApiSettings = ApiSettings()
    auth: AuthSettings = AuthSettings()
    enrich: EnrichSettings = EnrichSettings()
    indicators: IndicatorSettings = IndicatorSettings()
    #: Detector parameters by riskEventType, e.g. ``[detectors.suspiciousSignins]`` with
    #: ``min_days = 14``: see each detector's ``Params`` and ``vigil detect --params``.
    detectors: dict[str, dict[str, Any]] = {}

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        # a field validator: assigning in a model validator would mark the field as set, and the
        # environment's defaults would then override the file's value (load_settings)
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"log_level {value.upper()!r} is none of {', '.join(LOG_LEVELS)}")
        return value.upper()

    @model_validator(mode="after")
    def _known_detector_params(self) -> Settings:
        if self.detectors:  # imports every detector: only when some are configured
            from vigil.detections.registry import create_all

            create_all(self.detectors)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)


class ConfigFileError(ValueError):
    pass


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Defaults < TOML file < environment < ``overrides`` (None values are ignored)."""
    from_file: dict[str, Any] = {}
    if config_file is not None:
        try:
            from_file = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigFileError(f"{config_file}: {exc}") from exc
        unknown = unknown_keys(from_file, Settings)
        if unknown:  # the environment may hold other VIGIL_ variables; a file names settings
            raise ConfigFileError(f"{config_file}: unknown setting(s): {', '.join(unknown)}")
    env_only = Settings()  # environment and defaults
    merged = _deep_merge(
        _fold_detectors(from_file), _fold_detectors(env_only.model_dump(exclude_unset=True))
    )
    merged = _deep_merge(merged, {k: v for k, v in overrides.items() if v is not None})
    return Settings.model_validate(merged)


def unknown_keys(doc: dict[str, Any], model: type[BaseModel], where: str = "") -> list[str]:
    """Keys of ``doc`` (a TOML document or table) that are no field of ``model``, dotted. The
    ``detectors`` tables are checked against the detectors (``Settings`` validation)."""
    unknown = []
    for key, value in doc.items():
        field = model.model_fields.get(key)
        if field is None:
            unknown.append(f"{where}{key}")
        elif (
            isinstance(value, dict)
            and isinstance(field.annotation, type)
            and issubclass(field.annotation, BaseModel)
        ):
            unknown += unknown_keys(value, field.annotation, f"{where}{key}.")
    return unknown


def _fold_detectors(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with its ``detectors`` tables keyed in lower case, so that the environment's
    (``VIGIL_DETECTORS__SUSPICIOUSSIGNINS__MIN_DAYS``: names lose their case) merge with the
    file's ``[detectors.suspiciousSignins]`` instead of standing beside them."""
    tables = settings.get("detectors")
    if not isinstance(tables, dict):
        return settings
    folded: dict[str, Any] = {}
    for key, value in tables.items():
        name = str(key).lower()
        both = isinstance(value, dict) and isinstance(folded.get(name), dict)
        folded[name] = _deep_merge(folded[name], value) if both else value
    return {**settings, "detectors": folded}


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
