"""Everything about Userpilot in one place: hosts, paths, limits, call shapes, schemas, client."""
