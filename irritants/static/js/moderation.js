// Moderation: « Ajouter le texte sélectionné » copies the text selected in a report into its « Passages à masquer »
// box, one passage per line.
//
// Progressive enhancement: without this script the buttons stay hidden and the moderator types or pastes the
// passages; the server checks each one occurs in the text either way.

for (const button of document.querySelectorAll("button[data-masquer]")) {
  const box = document.getElementById(button.dataset.masquer);
  const source = document.getElementById(button.dataset.texte);
  if (!box || !source) {
    continue;
  }
  button.hidden = false;
  button.addEventListener("click", () => {
    const selection = window.getSelection();
    const range = selection && selection.rangeCount > 0 ? selection.getRangeAt(0) : null;
    let passage = "";
    if (range && source.contains(range.commonAncestorContainer)) {
      // The words read out to screen readers beside a highlighted finding (« (Téléphone) ») are not in the text.
      const copy = range.cloneContents();
      for (const hidden of copy.querySelectorAll(".fr-sr-only")) {
        hidden.remove();
      }
      passage = copy.textContent.replace(/\s+/g, " ").trim();
    }
    if (!passage) {
      box.focus();
      return;
    }
    const lines = box.value.split("\n").map((line) => line.trim()).filter((line) => line !== "");
    if (!lines.some((line) => line.toLowerCase() === passage.toLowerCase())) {
      lines.push(passage);
    }
    box.value = lines.join("\n");
    box.focus();
  });
}
