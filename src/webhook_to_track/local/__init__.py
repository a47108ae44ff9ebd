"""Local stand-ins for running the real handler without Docker or AWS (not shipped to Lambda)."""
