"""Declarative mapping rules: compile once, then map payloads to Userpilot track events."""

from webhook_to_track.rules.engine import MappedEvent, MappingResult, RuleSet, compile_ruleset
from webhook_to_track.rules.problems import Problems

__all__ = ["MappedEvent", "MappingResult", "Problems", "RuleSet", "compile_ruleset"]
