"""Squads (start-ups d'État), their members, sprints and backlog items."""
