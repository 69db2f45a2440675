// Similar irritants while a citizen describes their problem on the report form.
//
// Progressive enhancement: without this script the form works exactly the same. Once the description has
// at least MIN_LENGTH characters, and 500 ms after the last key stroke (or when the administration changes),
// the closest irritants are listed in the polite live region #similar-irritants, which never takes the focus.
// Each one links to its public page (new window) and has a « C'est aussi mon cas » button that posts the
// web form of that irritant, coming back to this form; the text typed so far is kept in sessionStorage for
// that trip and restored on return. Server data is only ever inserted as text.
//
// Right after the service starts, the server may answer 503 with Retry-After while its text model loads: the
// search is then asked once more after that delay (bounded), and if it is still not ready the suggestions are
// quietly left out — they are only a help, and the form never depends on them.

const MIN_LENGTH = 30;
const DELAY_MS = 500;
const MAX_ITEMS = 5;
const DRAFT_KEY = "irritants:brouillon-signalement";
const SUPPORT_FORM_ID = "similar-support-form";
const RETRY_DEFAULT_MS = 2000;
const RETRY_MAX_MS = 5000;

// Badge colour by status kind, as on the tracking and irritant pages.
const BADGE_KINDS = {
  new: "new",
  fixed: "success",
  regressed: "warning",
  closed_not_fixed: "warning",
};

const region = document.getElementById("similar-irritants");
const description = document.getElementById("id_description");
const administration = document.getElementById("id_administration");
const reportForm = description ? description.form : null;

let timer = null;
let controller = null;
let shownKey = "";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function csrfToken() {
  const field = reportForm ? reportForm.querySelector("input[name=csrf_token]") : null;
  return field ? field.value : "";
}

function plural(count, one, many) {
  return `${count.toLocaleString("fr-FR")} ${count > 1 ? many : one}`;
}

// A same-origin path to the irritant page: the server's url when it is a plain path, else built from the id.
function irritantPath(item) {
  const url = typeof item.url === "string" ? item.url : "";
  return /^\/irritants\/\d+$/.test(url) ? url : `/irritants/${item.id}`;
}

// One form outside the report form (forms cannot be nested): every button submits it with its own formaction.
function supportForm() {
  let form = document.getElementById(SUPPORT_FORM_ID);
  if (form) {
    return form;
  }
  form = el("form");
  form.id = SUPPORT_FORM_ID;
  form.method = "post";
  form.hidden = true;
  for (const [name, value] of [["csrf_token", csrfToken()], ["next", "form"]]) {
    const input = el("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  form.addEventListener("submit", saveDraft);
  reportForm.after(form);
  return form;
}

function saveDraft() {
  try {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({
      description: description.value,
      administration: administration ? administration.value : "",
    }));
  } catch {
    // Storage refused (private mode, quota): the text is simply not kept.
  }
}

function restoreDraft() {
  let draft = null;
  try {
    draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null");
    sessionStorage.removeItem(DRAFT_KEY);
  } catch {
    return;
  }
  if (!draft || typeof draft.description !== "string" || description.value) {
    return;
  }
  description.value = draft.description;
  if (administration && typeof draft.administration === "string" && !administration.value) {
    const known = Array.from(administration.options).some((option) => option.value === draft.administration);
    if (known) {
      administration.value = draft.administration;
    }
  }
}

function clear() {
  shownKey = "";
  region.replaceChildren();
}

function renderItem(item, form) {
  const li = el("li", "irritants-similar__item");
  const label = String(item.label || "Irritant sans titre");

  const title = el("p", "fr-text--bold fr-mb-1v");
  const link = el("a", "fr-link", label);
  link.href = irritantPath(item);
  link.target = "_blank";
  link.rel = "noopener";
  link.title = `${label} - nouvelle fenêtre`;
  title.append(link);

  const facts = el("p", "fr-text--sm fr-mb-1w");
  const kind = BADGE_KINDS[item.status] || "info";
  const badge = el("span", `fr-badge fr-badge--sm fr-badge--${kind} fr-mr-1w`);
  badge.append(el("span", "fr-sr-only", "Statut : "), document.createTextNode(String(item.status_label || "")));
  const size = Number.isInteger(item.size) ? item.size : 0;
  const people = Number.isInteger(item.people) ? item.people : size;
  facts.append(badge, document.createTextNode(
    `${plural(size, "signalement", "signalements")} · ${plural(people, "personne concernée", "personnes concernées")}`,
  ));

  const button = el("button", "fr-btn fr-btn--secondary fr-btn--sm", "C’est aussi mon cas");
  button.type = "submit";
  button.setAttribute("form", form.id);
  button.formAction = `${irritantPath(item)}/moi-aussi`;
  button.append(el("span", "fr-sr-only", ` : ${label}`));

  li.append(title, facts, button);
  return li;
}

function render(items) {
  const shown = items.filter((item) => item && Number.isInteger(item.id)).slice(0, MAX_ITEMS);
  if (!shown.length) {
    clear();
    return;
  }
  // Unchanged suggestions are left alone, so that screen readers do not hear them again at every pause.
  const key = shown.map((item) => `${item.id}:${item.status}:${item.size}`).join("|");
  if (key === shownKey) {
    return;
  }
  const form = supportForm();
  const box = el("div", "irritants-similar");
  box.append(
    el("h3", "fr-h6 fr-mb-1w", "Ces irritants ressemblent peut-être au vôtre"),
    el("p", "fr-text--sm fr-mb-2w",
      "Si l’un d’eux correspond à votre situation, « C’est aussi mon cas » vous compte une fois, anonymement "
      + "(votre texte est conservé). Dans tous les cas, vous pouvez continuer et envoyer votre propre "
      + "signalement ci-dessous."),
  );
  const list = el("ul", "irritants-similar__list");
  for (const item of shown) {
    list.append(renderItem(item, form));
  }
  box.append(list);
  region.replaceChildren(box);
  shownKey = key;
}

// Delay before asking again, from a Retry-After in seconds: at least 0.5 s, at most RETRY_MAX_MS.
function retryDelay(response) {
  const seconds = Number.parseInt(response.headers.get("Retry-After") || "", 10);
  if (!Number.isFinite(seconds)) {
    return RETRY_DEFAULT_MS;
  }
  return Math.min(Math.max(seconds * 1000, 500), RETRY_MAX_MS);
}

async function search(retried = false) {
  const text = description.value.trim();
  if (text.length < MIN_LENGTH) {
    return;
  }
  if (controller) {
    controller.abort();
  }
  const current = new AbortController();
  controller = current;
  const params = new URLSearchParams({ text: text.slice(0, 4000) });
  if (administration && administration.value) {
    params.set("administration", administration.value);
  }
  try {
    const response = await fetch(`${region.dataset.similarUrl || "/api/v1/similar"}?${params}`, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: current.signal,
    });
    if (response.status === 503 && !retried) {
      // Not ready yet (the server is starting): ask once more, unless the citizen types meanwhile, which
      // starts a new search (schedule() clears this timer).
      if (controller === current) {
        window.clearTimeout(timer);
        timer = window.setTimeout(() => search(true), retryDelay(response));
      }
      return;
    }
    const items = response.ok ? await response.json() : [];
    if (controller === current) {
      render(Array.isArray(items) ? items : []);
    }
  } catch {
    // Aborted by a newer search, offline, server error: suggestions are only a help, hide them.
    if (controller === current) {
      clear();
    }
  } finally {
    if (controller === current) {
      controller = null;
    }
  }
}

function schedule(delay) {
  window.clearTimeout(timer);
  if (description.value.trim().length < MIN_LENGTH) {
    if (controller) {
      controller.abort();
      controller = null;
    }
    clear();
    return;
  }
  timer = window.setTimeout(search, delay);
}

if (region && description && reportForm && "fetch" in window && "AbortController" in window) {
  restoreDraft();
  description.addEventListener("input", () => schedule(DELAY_MS));
  if (administration) {
    administration.addEventListener("change", () => schedule(0));
  }
  schedule(0);
}
