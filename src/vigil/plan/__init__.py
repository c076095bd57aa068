"""The monitoring plan: schema and YAML loading."""

from vigil.plan.durations import format_offset, parse_duration
from vigil.plan.loader import load_plan, parse_plan
from vigil.plan.schema import Metric, Plan

__all__ = ["Metric", "Plan", "format_offset", "load_plan", "parse_duration", "parse_plan"]
