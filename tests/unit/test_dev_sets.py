"""The dev sets of scripts/dev_sets.py: built on the fly from ../shared/data, deterministic, shaped as announced."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_SPEC = importlib.util.spec_from_file_location("dev_sets", Path(__file__).parents[2] / "scripts" / "dev_sets.py")
dev_sets = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("dev_sets", dev_sets)  # dataclasses look their module up there
_SPEC.loader.exec_module(dev_sets)

needs_data = pytest.mark.skipif(not dev_sets.DATA.is_dir(), reason="../shared/data is absent")


def test_long_text_has_greeting_paragraphs_and_the_parts_in_the_set_language():
    parts = ["ma carte vitale n'est pas arrivée", "le site plante", "toujours pas de réponse"]
    text = dev_sets.long_text(parts, "fr", np.random.default_rng(0))
    assert all(part[1:] in text for part in parts)
    assert "\n\n" in text
    assert any(phrase in text for phrase in dev_sets._FR["open"])
    english = dev_sets.long_text(["card not arrived", "app crashes", "no answer"], "en", np.random.default_rng(0))
    assert not any(phrase in english for phrase in dev_sets._FR["open"])


def test_catchall_and_zipf_helpers():
    labels = [str(i % 10) for i in range(1000)]
    relabelled = dev_sets.with_catchall(labels, 0.35, seed=0)
    assert relabelled.count("catch-all") == 350
    assert len({label for label, new in zip(labels, relabelled, strict=True) if new == "catch-all"}) == 10
    keep = dev_sets.zipf_subsample(labels, 1.1, seed=0)
    _, counts = np.unique(np.asarray(labels)[keep], return_counts=True)
    assert counts.max() == 100 and counts.min() >= 8 and counts.max() / counts.min() > 8


@needs_data
@pytest.mark.parametrize("base", list(dev_sets.BASES))
def test_dev_sets_are_deterministic_and_shaped_as_announced(base):
    sets = {kind: dev_sets.build(base, kind) for kind in dev_sets.KINDS}
    assert dev_sets.build(base, "long").texts == sets["long"].texts
    assert all(len(ds.texts) == len(ds.labels) <= 2000 for ds in sets.values())
    assert np.median([len(t) for t in sets["long"].texts]) >= 180
    assert sum("\n\n" in t for t in sets["long"].texts) > len(sets["long"].texts) / 2
    mixed = [len(t) for t in sets["mixed"].texts]
    assert (
        np.median([len(t) for t in sets["plain"].texts])
        < np.median(mixed)
        < np.median([len(t) for t in sets["long"].texts])
    )
    share = sets["catchall"].labels.count("catch-all") / len(sets["catchall"].labels)
    assert share == pytest.approx(0.35, abs=0.01)
    _, counts = np.unique(sets["uneven"].labels, return_counts=True)
    assert counts.max() >= 5 * counts.min()
