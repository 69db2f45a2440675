// Back-office decision forms: choosing a reply template fills the reason box with its text.
//
// Progressive enhancement: without this script the chosen template is used as the reason when none is typed
// (see triage/backoffice.py). The text is only replaced while the agent has not edited it, so that switching
// templates never throws away their own words.

for (const select of document.querySelectorAll("select[data-motif]")) {
  const reason = document.getElementById(select.dataset.motif);
  if (!reason) {
    continue;
  }
  let filled = "";
  select.addEventListener("change", () => {
    const option = select.selectedOptions[0];
    const body = option ? option.dataset.corps || "" : "";
    if (reason.value.trim() === "" || reason.value === filled) {
      reason.value = body;
      filled = body;
    }
  });
}
