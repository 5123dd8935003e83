"""Credential formats, secrets and digests: plain Python, no request and no database."""
