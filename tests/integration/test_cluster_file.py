"""`irritants cluster-file`: clusters any CSV offline, without the database."""

from __future__ import annotations

import pandas as pd

TEXTS = {
    "rdv": "Aucun rendez-vous disponible en préfecture pour mon titre de séjour, le site est toujours complet {n}",
    "iban": "Le formulaire refuse mon IBAN étranger pourtant valide, impossible de recevoir mes aides {n}",
    "tel": "Impossible de joindre un conseiller au téléphone, j'attends des heures puis ça raccroche {n}",
}


def _csv(tmp_path):
    rows = [{"id": f"{k}{i}", "text": t.format(n=i), "label": k} for i in range(8) for k, t in TEXTS.items()]
    path = tmp_path / "in.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_cluster_file_writes_every_row_with_its_cluster_and_scores_it(runner, tmp_path):
    out = tmp_path / "out.csv"
    result = runner.invoke(
        args=[
            "cluster-file",
            str(_csv(tmp_path)),
            "--text-column",
            "text",
            "--output",
            str(out),
            "--label-column",
            "label",
            "--n-clusters",
            "3",
            "--encoder",
            "tfidf",
        ]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str)
    assert list(frame.columns) == ["id", "text", "label", "cluster_id", "cluster_label"]
    assert len(frame) == 24
    assert frame.groupby("label")["cluster_id"].nunique().eq(1).all()
    assert frame["cluster_id"].nunique() == 3
    assert "NMI 100.0" in result.output and "ACC 100.0" in result.output and "ARI 100.0" in result.output


def test_cluster_file_finds_the_number_of_clusters_itself(runner, tmp_path):
    out = tmp_path / "out.csv"
    result = runner.invoke(
        args=["cluster-file", str(_csv(tmp_path)), "--output", str(out), "--encoder", "tfidf", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str)
    assert 2 <= frame["cluster_id"].nunique() <= 6
    assert frame["cluster_label"].str.len().gt(0).all()


def test_cluster_file_names_a_missing_column(runner, tmp_path):
    result = runner.invoke(
        args=["cluster-file", str(_csv(tmp_path)), "--text-column", "texte", "--output", str(tmp_path / "o.csv")]
    )
    assert result.exit_code != 0
    assert "colonne « texte » absente" in result.output
