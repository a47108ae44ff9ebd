"""The webhook side: parse -> verify -> open the delivery -> map, validate and queue its calls."""
