"""Declarative mapping rules: compile once, then map payloads to Userpilot track events."""

from webhook_to_track.rules.check import check_source_document
from webhook_to_track.rules.compiler import compile_ruleset
from webhook_to_track.rules.engine import Dropped, MappedEvent, MappingResult, RuleSet
from webhook_to_track.rules.names import event_names
from webhook_to_track.rules.problems import Problems

__all__ = [
    "Dropped",
    "MappedEvent",
    "MappingResult",
    "Problems",
    "RuleSet",
    "check_source_document",
    "compile_ruleset",
    "event_names",
]
