"""Progress bars of long commands: a ``progress(stage, done, total)`` callable drawn as one tqdm bar per stage."""

from __future__ import annotations

import sys
from collections.abc import Callable

from tqdm import tqdm

# What long services report to: ``progress(stage, done, total)``; commands draw it, jobs and tests ignore it.
Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """The progress callable of a run nobody watches."""
    return None


# Stage names services report, with the label and unit a bar shows (None: a percentage, no count).
STAGES: dict[str, tuple[str, str | None]] = {
    "vectors": ("Vecteurs", " textes"),
    "clustering": ("Regroupement", None),
    "saving": ("Enregistrement", " sig."),
    "rows": ("Vérification", " lignes"),
    "items": ("Enregistrement", " éléments"),
    "regressions": ("Irritants corrigés", " irritants"),
    "export": ("Export", " lignes"),
    "rollup": ("Agrégats quotidiens", " jours"),
}


class StageBars:
    """One tqdm bar per stage of a long run, one after the other; each counts its own items from 0."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar: tqdm | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage or self.bar is None:
            self.close()
            label, unit = STAGES.get(stage, (stage, " "))
            options = {"unit": unit} if unit else {"bar_format": "{desc}: {percentage:3.0f}%|{bar}| [{elapsed}]"}
            self.stage, self.bar = stage, tqdm(total=total, desc=label, file=sys.stderr, **options)
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.stage, self.bar = None, None

    def __enter__(self) -> StageBars:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
