"""Clusters (irritants): persistence, clustering and ranking orchestration, product-owner decisions."""
