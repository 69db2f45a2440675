"""Clusters (irritants): grouping reports, placing new ones, re-clustering, statistics and scores, « moi aussi »."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """A new report wakes the clustering job; the text encoder starts loading in the background (it never delays
    the start nor a request); re-clusterings asked from the back-office run as background jobs."""
    from irritants.background.registry import register_kind
    from irritants.clusters import jobs, loading, recluster_job

    jobs.init_app(app)
    loading.init_app(app)
    register_kind(app, recluster_job.RECLUSTER)
