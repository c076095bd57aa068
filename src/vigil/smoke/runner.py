"""Run the plan's HTTP smoke checks with httpx and judge each answer.

Latency is measured with ``time.perf_counter`` around the request (a duration, not a point in time, so
it needs no Clock); waiting between retries goes through the Clock so tests never sleep.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from vigil.clock import Clock
from vigil.plan.governance import HttpCheck, SmokeConfig


@dataclass
class CheckResult:
    name: str
    outcome: str  # passed | failed | error
    duration_ms: float | None
    attempts: int
    status_code: int | None
    message: str


def run_checks(
    config: SmokeConfig, clock: Clock, *, transport: httpx.BaseTransport | None = None
) -> list[CheckResult]:
    with httpx.Client(base_url=config.base_url or "", follow_redirects=False, transport=transport) as client:
        return [run_check(client, check, clock) for check in config.checks]


def run_check(client: httpx.Client, check: HttpCheck, clock: Clock) -> CheckResult:
    """Try up to ``retries + 1`` times; the last attempt's verdict is the check's verdict."""
    result = CheckResult(check.name, "error", None, 0, None, "not run")
    for attempt in range(1, check.retries + 2):
        if attempt > 1 and check.retry_delay.total_seconds() > 0:
            clock.sleep_until(clock.now() + check.retry_delay)
        result = _attempt(client, check)
        result.attempts = attempt
        if result.outcome == "passed":
            break
    return result


def _attempt(client: httpx.Client, check: HttpCheck) -> CheckResult:
    started = time.perf_counter()
    try:
        response = client.request(
            check.method,
            check.url,
            headers=check.headers,
            content=check.body,
            timeout=check.timeout.total_seconds(),
        )
    except httpx.HTTPError as exc:
        elapsed = (time.perf_counter() - started) * 1000
        return CheckResult(check.name, "error", elapsed, 1, None, f"{type(exc).__name__}: {exc}")
    elapsed = (time.perf_counter() - started) * 1000
    failures = _judge(check, response, elapsed)
    outcome = "failed" if failures else "passed"
    message = "; ".join(failures) or f"{response.status_code} in {elapsed:.0f} ms"
    return CheckResult(check.name, outcome, elapsed, 1, response.status_code, message)


def _judge(check: HttpCheck, response: httpx.Response, elapsed_ms: float) -> list[str]:
    failures = []
    if response.status_code not in check.expect_status:
        failures.append(
            f"status {response.status_code}, expected {' or '.join(map(str, check.expect_status))}"
        )
    if check.body_contains is not None and check.body_contains not in response.text:
        failures.append(f"body does not contain {check.body_contains!r}")
    if check.json_path is not None:
        failures += _json_check(check, response.text)
    if check.max_latency is not None and elapsed_ms > check.max_latency.total_seconds() * 1000:
        failures.append(f"took {elapsed_ms:.0f} ms, limit {check.max_latency.total_seconds() * 1000:.0f} ms")
    return failures


def _json_check(check: HttpCheck, text: str) -> list[str]:
    assert check.json_path is not None
    from jsonpath_ng import parse

    try:
        document: Any = json.loads(text)
    except ValueError:
        return [f"body is not JSON, cannot evaluate {check.json_path}"]
    found = [m.value for m in parse(check.json_path).find(document)]
    if not found:
        return [f"{check.json_path} not found in the body"]
    if check.json_equals is not None and found[0] != check.json_equals:
        return [f"{check.json_path} is {found[0]!r}, expected {check.json_equals!r}"]
    return []
