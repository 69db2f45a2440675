"""What citizens see: the report form, its confirmation, the tracking page and the public pages of irritants.

Above intake, clusters, triage and moderation (and, later, squads): these pages read from all of them, and none of
them imports a page. Blueprint and endpoint names are those the templates have always used (``intake.*``,
``irritants.*``).
"""
