"""tokenward: a self-hosted API authentication server for tracker APIs."""
