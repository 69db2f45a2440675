"""Pure clustering core: French text normalisation, report vectors, batch and incremental clustering, labels."""

from irritants.clustering.batch import DEFAULT_SOFT_WEIGHT, centroids_of, cluster_vectors, with_soft_keys
from irritants.clustering.encoders import (
    EmbeddingEncoder,
    Encoder,
    TfidfEncoder,
    embedding_available,
    get_encoder,
    l2_normalise,
)
from irritants.clustering.incremental import (
    DEFAULT_THRESHOLDS,
    CentroidIndex,
    Mean,
    Placement,
    assign,
    centred_similarities,
    default_threshold,
    joined_centroid,
    place,
    place_all,
    placement_rule,
)
from irritants.clustering.labels import (
    ClusterSummary,
    ClusterTerms,
    cluster_terms,
    describe,
    headline,
    keywords,
    representatives,
    short_label,
)
from irritants.clustering.metrics import accuracy, ari, nmi, scores
from irritants.clustering.text import fold, normalise, shorten, tokens
from irritants.clustering.titles import TITLE_MAX, title

__all__ = [
    "DEFAULT_SOFT_WEIGHT",
    "DEFAULT_THRESHOLDS",
    "TITLE_MAX",
    "CentroidIndex",
    "ClusterSummary",
    "ClusterTerms",
    "EmbeddingEncoder",
    "Encoder",
    "Mean",
    "Placement",
    "TfidfEncoder",
    "accuracy",
    "ari",
    "assign",
    "centred_similarities",
    "centroids_of",
    "cluster_terms",
    "cluster_vectors",
    "default_threshold",
    "describe",
    "embedding_available",
    "fold",
    "get_encoder",
    "headline",
    "joined_centroid",
    "keywords",
    "l2_normalise",
    "nmi",
    "normalise",
    "place",
    "place_all",
    "placement_rule",
    "representatives",
    "scores",
    "short_label",
    "shorten",
    "title",
    "tokens",
    "with_soft_keys",
]
