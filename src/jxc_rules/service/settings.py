"""What one running service is allowed to do: its database, its limits, its worker pool.

Every bound is a number here rather than a constant in a route, so a deployment states its
limits in one place (``jxc-rules serve`` fills them from its options) and tests can tighten
them. Defaults are chosen for the 2-core machine the benchmarks run on.
"""

from __future__ import annotations

from typing import Any

import attrs

from jxc_rules.errors import bad_value

__all__ = ["Settings"]


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise bad_value(attribute.name, value, "a number > 0")


def _nonneg_int(_inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_value(attribute.name, value, "an int >= 0")


@attrs.frozen
class Settings:
    """Settings of :func:`jxc_rules.service.create_app`.

    Parameters
    ----------
    db_url : str
        SQLAlchemy URL of the database holding the reservation ledger and the service's own
        tables (``jxc_svc_tokens``, ``jxc_svc_audit``, ``jxc_svc_idempotency``). Default: an
        embedded SQLite file ``jxc-service.db`` in the working directory.
    ledger_prefix : str
        Table prefix of the reservation ledger (``SqlLedger(prefix=...)``).
    max_body_bytes : int
        Largest request body accepted; larger ones are cut off with 413.
    body_timeout_s : float
        Longest wait for the next chunk of a request body (a slow client is cut off with 408).
    request_timeout_s : float
        Longest time a request may take before the client gets 504 (the work itself may still
        finish; a reservation's answer is then fetched by retrying with the same key).
    max_lines : int
        Most lines one batch request may carry.
    rate_per_s, burst : float, int
        Default per-token rate limit (token bucket: ``burst`` requests at once, refilled at
        ``rate_per_s``); a token may carry its own.
    max_trials_days : int
        Bound on trials × days of one simulation job.
    max_jobs : int
        Simulation jobs running at once (each in its own worker process); more are refused 429.
    job_workers : int
        Worker processes of the job pool.
    require_tokens : bool
        ``False`` only for local experiments: every request then acts as an all-scopes token
        named ``anonymous`` (still audited).
    group_commit : bool
        Reservation writes (reserve, release, consume) that arrive together share one
        database transaction and one commit (:mod:`jxc_rules.service.group_commit`); the
        answers and guarantees are those of one request at a time. ``False``: one transaction
        per request.
    group_commit_max : int
        Most writes in one shared transaction.
    create_tables : bool
        Create the tables at startup (idempotent); ``jxc-rules serve --workers N`` creates them
        once before the workers start and sets this ``False`` in each worker.
    """

    db_url: str = "sqlite:///jxc-service.db"
    ledger_prefix: str = "jxc_"
    max_body_bytes: int = attrs.field(default=1_048_576, validator=_positive)
    body_timeout_s: float = attrs.field(default=10.0, validator=_positive)
    request_timeout_s: float = attrs.field(default=30.0, validator=_positive)
    max_lines: int = attrs.field(default=10_000, validator=_positive)
    rate_per_s: float = attrs.field(default=5000.0, validator=_positive)
    burst: int = attrs.field(default=10_000, validator=_positive)
    max_trials_days: int = attrs.field(default=2_000_000, validator=_positive)
    max_jobs: int = attrs.field(default=2, validator=_positive)
    job_workers: int = attrs.field(default=2, validator=_positive)
    lock_timeout_s: float = attrs.field(default=10.0, validator=_positive)
    token_cache_s: float = attrs.field(default=2.0, validator=_positive)
    audit_flush_s: float = attrs.field(default=0.2, validator=_positive)
    require_tokens: bool = True
    group_commit: bool = True
    group_commit_max: int = attrs.field(default=64, validator=_positive)
    create_tables: bool = True
    retention_jobs: int = attrs.field(default=100, validator=_nonneg_int)
