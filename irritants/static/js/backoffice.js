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

// A refused decision is shown at the address its form was posted to, where reloading would post it again: put
// the page's own address in the address bar (without JavaScript, the alert's « Recharger la page » link does it).
const pageAddress = document.querySelector("a[data-adresse-page]");
if (pageAddress && window.history && window.history.replaceState) {
  window.history.replaceState(window.history.state, "", pageAddress.getAttribute("href"));
}

// Sections of an irritant page are DSFR accordions: a link to something inside a closed one (the key actions at
// the top, an address ending in #…) opens it first, through its own button so that the DSFR keeps its state.
function reveal(id) {
  const target = id ? document.getElementById(id) : null;
  const collapse = target ? target.closest(".fr-collapse") : null;
  if (!collapse || collapse.classList.contains("fr-collapse--expanded")) {
    return;
  }
  const button = document.querySelector(`[aria-controls="${CSS.escape(collapse.id)}"]`);
  if (button && button.getAttribute("aria-expanded") !== "true") {
    button.click();
  }
}

function hashId(hash) {
  try {
    return decodeURIComponent(hash.slice(1));
  } catch {
    return "";
  }
}

document.addEventListener("click", (event) => {
  const link = event.target.closest('a[href^="#"]');
  if (link) {
    reveal(hashId(link.hash));
  }
});
window.addEventListener("hashchange", () => reveal(hashId(window.location.hash)));
// The DSFR starts its accordions once the page is parsed; by "load" they answer their buttons.
window.addEventListener("load", () => reveal(hashId(window.location.hash)));
