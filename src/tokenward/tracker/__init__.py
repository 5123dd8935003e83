"""The tracker that tokenward protects: projects and user stories, REST and GraphQL."""
