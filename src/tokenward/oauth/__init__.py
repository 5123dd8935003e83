"""OAuth2 provider: code flow with PKCE, rotating refresh tokens, revocation, introspection."""
