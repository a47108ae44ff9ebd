"""``python -m webhook_to_track`` runs the command line."""

from webhook_to_track.cli import main

raise SystemExit(main())
