"""The seed documents' paths, as thin aliases of the canonical API."""
