"""webhook-to-track: signed webhooks from billing and support tools -> Userpilot track events."""

__version__ = "0.1.0"
