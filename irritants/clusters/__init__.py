"""Clusters (irritants): grouping reports, placing new ones, re-clustering, statistics and scores, « moi aussi »."""
