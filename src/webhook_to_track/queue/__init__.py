"""The forward queue: messages, the ingest side (send), the forwarder (consume), dead letters."""
