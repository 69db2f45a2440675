"""A squad's backlog through CSV, on the real database: the file round-trips byte for byte, an edited file updates
items (each change logged) and never duplicates them, a wrong row is named by its line and column and nothing is
written, a dry run writes nothing; and the ``irritants backlog`` commands around it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from irritants.auth.models import User
from irritants.auth.services import agent_for
from irritants.clusters.models import Cluster
from irritants.db import get_db
from irritants.squads import backlog, sprint_services
from irritants.squads.backlog_csv import export_csv, import_csv
from irritants.squads.models import Squad
from irritants.squads.sprints import BacklogItem, BacklogItemChange, ItemState
from irritants.triage import services as triage
from tests.conftest import make_cluster, make_squad, make_user

D = dt.date
HEADER = "\ufeffid;title;description;points;state;sprint;rank;irritants\r\n"


def known_in(session):
    return lambda ids: triage.link_problems(session, ids)


def counts(session):
    return (
        session.scalar(select(func.count(BacklogItem.id))),
        session.scalar(select(func.count(BacklogItemChange.id))),
    )


def a_backlog(session):
    """A squad with a closed sprint 1, an active sprint 2, three items (one in each place) and two irritants."""
    squad = make_squad(session)
    owner = agent_for(session, make_user(session, "product_owner", squads=[squad]))
    one = sprint_services.create_sprint(session, owner, squad.id, starts_on=D(2026, 11, 23), ends_on=D(2026, 12, 4))
    two = sprint_services.create_sprint(session, owner, squad.id, starts_on=D(2026, 12, 7), ends_on=D(2026, 12, 18))
    sprint_services.start_sprint(session, owner, one.id)
    first = make_cluster(session, reports=1)
    second = make_cluster(session, "Allocation suspendue sans courrier", reports=1)
    done = backlog.create_item(session, owner, squad.id, title="Créneaux du samedi", points=3, sprint_id=one.id)
    backlog.change_state(session, owner, done.id, "done")
    sprint_services.close_sprint(session, owner, one.id, unfinished="backlog")
    sprint_services.start_sprint(session, owner, two.id)
    doing = backlog.create_item(
        session, owner, squad.id, title="Rappel par SMS", description="Une ligne\net une autre ; avec « ; »",
        points=5, sprint_id=two.id, cluster_ids=[first.id, second.id],
    )  # fmt: skip
    backlog.change_state(session, owner, doing.id, "in_progress")
    later = backlog.create_item(session, owner, squad.id, title="=SOMME(A1:A9) n'est pas une formule")
    return squad, owner, (done, doing, later), (first, second)


def test_the_export_is_the_squads_items_in_rank_order_in_the_documented_dialect(session):
    squad, _, (done, doing, later), (first, second) = a_backlog(session)
    text = export_csv(session, squad.id).decode("utf-8")
    assert text == (
        f"{HEADER}"
        f"{done.id};Créneaux du samedi;;3;done;1;1;\r\n"
        f'{doing.id};Rappel par SMS;"Une ligne\net une autre ; avec « ; »";5;in_progress;2;2;{first.id} {second.id}\r\n'
        f"{later.id};'=SOMME(A1:A9) n'est pas une formule;;;todo;;3;\r\n"
    )


def test_importing_an_unchanged_export_changes_nothing_and_exports_the_same_bytes(session):
    squad, owner, _, _ = a_backlog(session)
    exported = export_csv(session, squad.id)
    before = counts(session)
    result = import_csv(session, owner, squad.id, exported, known=known_in(session))
    assert (result.errors, result.created, result.updated, result.unchanged) == ([], [], {}, 3)
    assert counts(session) == before
    assert export_csv(session, squad.id) == exported


def test_an_edited_file_updates_the_items_through_the_services_and_exports_as_edited(session):
    squad, owner, (_, doing, later), (first, second) = a_backlog(session)
    head, row_done, row_doing, row_later = export_csv(session, squad.id).decode("utf-8").split("\r\n")[:4]
    row_doing = row_doing.replace(";5;in_progress;2;2;", ";8;done;2;3;").replace(
        f"{first.id} {second.id}", str(second.id)
    )
    row_later = row_later.replace(";;;todo;;3;", f";;2;todo;2;2;{first.id}")
    # A spreadsheet user swaps two rows, edits cells and adds a row without id (spaces around its title).
    edited = "\r\n".join([head, row_done, row_later, row_doing, "; Nouvelle tâche ;;;;;;", ""])
    last_change = session.scalar(select(func.max(BacklogItemChange.id)))

    result = import_csv(session, owner, squad.id, edited.encode(), known=known_in(session))

    assert result.errors == []
    assert result.updated == {
        later.id: ["points", "sprint", "rank", "irritants"],
        doing.id: ["points", "state", "rank", "irritants"],
    }
    assert [(n.line, n.title) for n in result.created] == [(5, "Nouvelle tâche")]
    new_id = result.created[0].item_id
    assert session.scalar(select(func.count(BacklogItem.id)).where(BacklogItem.squad_id == squad.id)) == 4
    expected = edited.replace("; Nouvelle tâche ;;;;;;", f"{new_id};Nouvelle tâche;;;todo;;4;")
    assert export_csv(session, squad.id).decode("utf-8") == expected
    logged = session.execute(
        select(BacklogItemChange.item_id, BacklogItemChange.field, BacklogItemChange.old_value,
               BacklogItemChange.new_value, BacklogItemChange.actor)
        .where(BacklogItemChange.id > last_change).order_by(BacklogItemChange.id)
    ).all()  # fmt: skip
    assert [(i, f.value, o, n) for i, f, o, n, _ in logged] == [
        (later.id, "points", None, "2"),
        (later.id, "sprint", None, str(doing.sprint_id)),
        (later.id, "link", None, str(first.id)),
        (later.id, "rank", "3", "2"),
        (doing.id, "points", "5", "8"),
        (doing.id, "state", "in_progress", "done"),
        (doing.id, "unlink", str(first.id), None),
        (doing.id, "rank", "2", "3"),
        (new_id, "created", None, "Nouvelle tâche"),
        (new_id, "state", None, "todo"),
    ]
    assert {actor for *_, actor in logged} == {owner.label}
    # The exported file imported again finds nothing to do and never duplicates the new row.
    again = import_csv(session, owner, squad.id, export_csv(session, squad.id), known=known_in(session))
    assert (again.created, again.updated, again.unchanged) == ([], {}, 4)


def test_every_bad_row_is_named_by_line_and_column_and_nothing_is_written(session):
    squad, owner, (done, doing, later), (first, _) = a_backlog(session)
    other_squad_item = backlog.create_item(
        session, owner, make_squad(session, "Aides au logement").id, title="Ailleurs"
    )
    before = counts(session)
    rows = [
        f"{done.id};Créneaux du samedi;;3;done;1;1;",  # unchanged, fine
        f"{other_squad_item.id};Pas à nous;;;todo;;;",  # 3: another squad's item
        "999999;Inconnu;;;todo;;;",  # 4: unknown id
        f"{doing.id};Rappel;;-2;fini;7;x;{first.id} 99999",  # 5: points, state, sprint, rank, irritant
        f"{done.id};Doublon;;;todo;;;",  # 6: same id twice
        f";;;;;;;{first.id}",  # 7: no title
        ";" + "T" * 201 + ";;;;1;;",  # 8: title too long, closed sprint
        f"{later.id};Troisième;;;todo;;1;",  # 9: rank 1 held by line 2's item
    ]
    data = (HEADER + "\r\n".join(rows) + "\r\n").encode()
    result = import_csv(session, owner, squad.id, data, known=known_in(session))
    assert [(e.line, e.column) for e in result.errors] == [
        (3, "id"), (4, "id"), (5, "points"), (5, "state"), (5, "sprint"), (5, "rank"), (5, "irritants"),
        (6, "id"), (7, "title"), (8, "title"), (8, "sprint"), (9, "rank"),
    ]  # fmt: skip
    messages = {(e.line, e.column): e.message for e in result.errors}
    assert messages[(4, "id")].startswith("Élément 999999 inconnu pour cette start-up d'État")
    assert messages[(5, "points")] == "Points « -2 » : un nombre entier positif ou nul est attendu (ou rien)."
    assert messages[(5, "state")].startswith("État « fini » inconnu")
    assert messages[(5, "sprint")].startswith("Sprint n° 7 inconnu")
    assert messages[(5, "irritants")] == "Irritant introuvable : 99999."
    assert messages[(6, "id")] == f"L'élément {done.id} figure déjà ligne 2."
    assert messages[(7, "title")] == "Donnez un titre à l'élément de backlog."
    assert messages[(8, "sprint")] == "Le sprint 1 est terminé : on n'y ajoute plus d'éléments."
    assert messages[(9, "rank")] == "Le rang 1 serait aussi celui de : ligne 2."
    assert str(result.errors[0]).startswith("ligne 3, colonne id : Élément")
    assert counts(session) == before
    assert result.created == [] and result.updated == {}


def test_a_comma_separated_file_without_the_mark_is_read_too_and_a_missing_column_leaves_its_field_alone(session):
    squad, owner, (done, _, _), _ = a_backlog(session)
    result = import_csv(
        session, owner, squad.id, f"id,title\n{done.id},Créneaux du samedi matin\n".encode(), known=known_in(session)
    )
    assert (result.errors, result.updated) == ([], {done.id: ["title"]})
    assert (done.title, done.points, done.state) == ("Créneaux du samedi matin", 3, ItemState.DONE)
    bad = import_csv(session, owner, squad.id, b"id;titre\n1;x\n", known=known_in(session))
    assert [(e.line, e.column) for e in bad.errors] == [(1, "titre"), (1, "title")]


def test_a_dry_run_shows_the_plan_and_writes_nothing(session):
    squad, owner, (done, _, _), _ = a_backlog(session)
    text = export_csv(session, squad.id).decode("utf-8").replace(";3;done;1;1;", ";5;done;1;1;") + ";Nouvelle;;;;;;\r\n"
    before = counts(session)
    result = import_csv(session, owner, squad.id, text.encode(), known=known_in(session), dry_run=True)
    assert (result.updated, [n.title for n in result.created], result.unchanged) == (
        {done.id: ["points"]},
        ["Nouvelle"],
        2,
    )
    assert result.created[0].item_id is None and not result.written
    assert counts(session) == before and done.points == 3


# --- the commands ------------------------------------------------------------------------------------------------


def committed_backlog(app):
    with get_db(app).session_scope() as s:
        squad, owner, items, _ = a_backlog(s)
        email = s.get(User, owner.user_id).email
        member = make_user(s, "squad_member", squads=[squad]).email
        s.commit()
        return squad.slug, email, member, [item.id for item in items]


def test_the_export_command_writes_the_file_or_standard_output(app, runner, tmp_path):
    slug, *_ = committed_backlog(app)
    target = tmp_path / "backlog.csv"
    result = runner.invoke(args=["backlog", "export", "--squad", slug, "--output", str(target)])
    assert result.exit_code == 0, result.output
    with get_db(app).session_scope() as s:
        assert target.read_bytes() == export_csv(s, s.scalar(select(Squad.id).where(Squad.slug == slug)))
    shown = runner.invoke(args=["backlog", "export", "--squad", slug, "--output", "-"])
    assert shown.exit_code == 0 and shown.stdout_bytes == target.read_bytes()
    unknown = runner.invoke(args=["backlog", "export", "--squad", "inconnue", "--output", "-"])
    assert unknown.exit_code == 1 and "--squad : Cette start-up d'État n'existe pas." in unknown.output


def test_the_import_command_refuses_a_bad_file_with_its_lines_and_writes_nothing(app, runner, tmp_path):
    slug, *_, ids = committed_backlog(app)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"id;title;points\n{ids[0]};Créneaux;beaucoup\n999999;X;1\n", encoding="utf-8")
    with get_db(app).session_scope() as s:
        before = counts(s)
    result = runner.invoke(args=["backlog", "import", "--squad", slug, str(bad)])
    assert result.exit_code == 1
    assert "ligne 2, colonne points : Points « beaucoup »" in result.output
    assert "ligne 3, colonne id : Élément 999999 inconnu" in result.output
    assert "2 problème(s) : rien n'a été enregistré." in result.output
    with get_db(app).session_scope() as s:
        assert counts(s) == before


def test_the_import_command_shows_its_plan_in_a_dry_run_then_applies_it_as_the_system_or_an_agent(
    app, runner, tmp_path
):
    slug, _, member_email, ids = committed_backlog(app)
    edited = tmp_path / "edited.csv"
    edited.write_text(f"id;title;points\n{ids[0]};Créneaux du samedi;8\n;Nouvelle;\n", encoding="utf-8")
    with get_db(app).session_scope() as s:
        before, last_change = counts(s), s.scalar(select(func.max(BacklogItemChange.id)))
    dry = runner.invoke(args=["backlog", "import", "--squad", slug, str(edited), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"élément {ids[0]} : points" in dry.output and "nouveau (ligne 3) : « Nouvelle »" in dry.output
    assert "1 élément(s) seraient créé(s), 1 modifié(s) ; 0 inchangé(s)." in dry.output
    assert "Simulation (--dry-run) : rien n'a été enregistré." in dry.output
    with get_db(app).session_scope() as s:
        assert counts(s) == before
    nobody = runner.invoke(args=["backlog", "import", "--squad", slug, str(edited), "--as", "personne@beta.gouv.fr"])
    assert nobody.exit_code == 1 and "--as : aucun agent actif" in nobody.output
    done = runner.invoke(args=["backlog", "import", "--squad", slug, str(edited), "--as", member_email])
    assert done.exit_code == 0, done.output
    assert "1 élément(s) ont été créé(s), 1 modifié(s) ; 0 inchangé(s)." in done.output
    with get_db(app).session_scope() as s:
        assert s.get(BacklogItem, ids[0]).points == 8
        actors = s.scalars(select(BacklogItemChange.actor).where(BacklogItemChange.id > last_change)).all()
        assert len(actors) == 3 and set(actors) == {member_email}  # points; created, state
    # Linking irritants takes a product owner, as in the API; the system (no --as) may.
    linking = tmp_path / "links.csv"
    linking.write_text(f"id;title;irritants\n{ids[1]};Rappel par SMS;\n", encoding="utf-8")  # both unlinked
    refused = runner.invoke(args=["backlog", "import", "--squad", slug, str(linking), "--as", member_email])
    assert refused.exit_code == 1 and "responsables produit" in refused.output
    system = runner.invoke(args=["backlog", "import", "--squad", slug, str(linking)])
    assert system.exit_code == 0, system.output
    with get_db(app).session_scope() as s:
        assert s.scalars(select(BacklogItemChange.actor).order_by(BacklogItemChange.id.desc())).first() == "système"


def test_a_link_to_an_irritant_no_item_may_work_on_is_a_line_error_but_an_existing_one_stays(session):
    squad, owner, (_, _, later), (first, _) = a_backlog(session)
    spam = make_cluster(session, "Publicité pour un site de rencontres", reports=1, status="spam")
    session.flush()
    exported = export_csv(session, squad.id)
    # ``first`` becomes spam after the export: the file still links it, which is no new link, so it stays.
    session.get(Cluster, first.id).status = "spam"
    session.flush()
    assert import_csv(session, owner, squad.id, exported, known=known_in(session), dry_run=True).errors == []
    before = counts(session)
    text = exported.decode("utf-8").replace(
        f"{later.id};'=SOMME(A1:A9) n'est pas une formule;;;todo;;3;",
        f"{later.id};'=SOMME(A1:A9) n'est pas une formule;;;todo;;3;{spam.id}",
    )
    result = import_csv(session, owner, squad.id, text.encode("utf-8"), known=known_in(session))
    assert [(e.line, e.column) for e in result.errors] == [(4, "irritants")]
    assert "classé indésirable" in result.errors[0].message
    assert counts(session) == before
