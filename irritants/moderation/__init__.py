"""Moderation: moderators' queue and decisions on held report texts, and citizens' abuse flags on excerpts."""
