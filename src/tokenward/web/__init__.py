"""Web pages: log in, log out, the profile."""
