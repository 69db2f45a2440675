// The « Démarche concernée » list shows only the démarches of the chosen administration.
//
// Progressive enhancement: without this script the select lists every démarche, grouped by administration
// (one <optgroup> each), and the server refuses a démarche of another administration with a clear message.
// With it, choosing an administration keeps only its group; with none chosen, every group is shown. The select
// keeps its label and hint; a polite status message says how many démarches are now offered, once per change.

const administration = document.getElementById("id_administration");
const procedure = document.getElementById("id_procedure");

function filterProcedures(groups, status, announce) {
  const chosen = administration.value;
  const kept = chosen ? groups.filter((group) => group.dataset.group === chosen) : groups;
  const selected = procedure.value;
  // Detached, not hidden: some browsers still offer hidden <option>s.
  for (const group of groups) {
    if (!kept.includes(group)) {
      group.remove();
    }
  }
  for (const group of kept) {
    procedure.append(group);
  }
  const stillThere = Array.from(procedure.options).some((option) => option.value === selected);
  if (!stillThere) {
    procedure.value = "";
  }
  if (!announce) {
    return;
  }
  const count = kept.reduce((total, group) => total + group.querySelectorAll("option").length, 0);
  const name = administration.selectedOptions.length ? administration.selectedOptions[0].textContent.trim() : "";
  let message = "";
  if (!chosen) {
    message = "Toutes les démarches sont proposées.";
  } else if (count === 0) {
    message = `Aucune démarche n’est répertoriée pour ${name} : laissez « Démarche concernée » vide.`;
  } else {
    message = `${count} ${count > 1 ? "démarches proposées" : "démarche proposée"} pour ${name}.`;
  }
  // Cleared then set, so that the same message after two changes is announced again.
  status.textContent = "";
  window.setTimeout(() => {
    status.textContent = message;
  }, 100);
}

function start() {
  if (!administration || !procedure) {
    return;
  }
  const groups = Array.from(procedure.querySelectorAll("optgroup[data-group]"));
  if (!groups.length) {
    return;
  }
  const status = document.createElement("p");
  status.id = "id_procedure-status";
  status.className = "fr-sr-only";
  status.setAttribute("role", "status");
  procedure.after(status);
  const hint = document.getElementById("id_procedure-hint");
  if (hint) {
    hint.textContent = "La liste ne propose que les démarches de l’administration choisie ci-dessus. "
      + "Laissez-la vide si aucune ne correspond.";
  }
  filterProcedures(groups, status, false);
  administration.addEventListener("change", () => filterProcedures(groups, status, true));
}

start();
