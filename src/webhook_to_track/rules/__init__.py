"""Declarative mapping rules: compile once, then map payloads to Userpilot calls."""

from webhook_to_track.rules.compiler import compile_ruleset
from webhook_to_track.rules.engine import Dropped, MappedCall, MappingResult, RuleSet
from webhook_to_track.rules.names import event_names
from webhook_to_track.rules.problems import Problems

__all__ = [
    "Dropped",
    "MappedCall",
    "MappingResult",
    "Problems",
    "RuleSet",
    "compile_ruleset",
    "event_names",
]
