// Manage page: default the time zone from the browser, and keep the preview of
// the next digest and the reading of each topic line in step with the form
// (debounced). No innerHTML: data is text.
"use strict";
(function () {
  const form = document.getElementById("preferences");
  if (!form) return;
  // After a failed save, keyboard and screen-reader users start at what went wrong.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  const timezone = document.getElementById("timezone");
  if (timezone && timezone.dataset.default === "true") {
    try {
      const detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (detected && detected !== timezone.value) {
        timezone.value = detected;
        // Say it is not saved yet: digests keep the saved zone until Save.
        const note = document.getElementById("timezone-detected");
        if (note) note.hidden = false;
      }
    } catch (_) {
      /* keep the stored value */
    }
  }

  const list = document.getElementById("preview-list");
  const status = document.getElementById("preview-status");
  // On a phone the preview is below the long form: a copy of its count stays in view under the topics.
  const inline = document.querySelector("#preview-inline a");
  let timer;
  let sequence = 0;

  function lines(name) {
    const field = form.elements.namedItem(name);
    return field ? field.value.split("\n").map((line) => line.trim()).filter(Boolean) : [];
  }

  const readings = document.getElementById("topic-readings");
  const readingsBox = document.getElementById("topic-readings-box");

  async function refreshReadings(body, mine) {
    if (!readings || !form.dataset.readings) return;
    try {
      const response = await fetch(form.dataset.readings, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      if (!response.ok || mine !== sequence) return;
      const data = await response.json();
      readings.replaceChildren(
        ...data.readings.map((reading) => {
          const item = document.createElement("li");
          const typed = document.createElement("code");
          typed.textContent = reading.field === "categories" ? "cat:" + reading.typed : reading.typed;
          if (reading.error) item.className = "error";
          item.append(typed, " — " + (reading.error || reading.meaning));
          return item;
        }),
      );
      readingsBox.hidden = data.readings.length === 0;
    } catch (_) {
      /* keep the last readings */
    }
  }

  async function refresh() {
    const mine = ++sequence;
    const body = {
      keywords: lines("keywords"),
      authors: lines("authors"),
      exclusions: lines("exclusions"),
      categories: Array.from(form.querySelectorAll('input[name="categories"]:checked')).map((box) => box.value),
      maxPapers: form.elements.namedItem("maxPapers").value,
      popularity: form.elements.namedItem("popularity").value,
    };
    refreshReadings(body, mine);
    status.textContent = "Updating…";
    if (inline) inline.textContent = "Updating…";
    try {
      const response = await fetch(form.dataset.preview, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const data = await response.json();
      if (mine !== sequence) return;
      if (!response.ok) {
        status.textContent = data.error ? data.error.message : "Preview unavailable.";
        return;
      }
      list.replaceChildren(
        ...data.picks.map((pick) => {
          const item = document.createElement("li");
          const link = document.createElement("a");
          link.href = pick.url;
          link.textContent = pick.title;
          const reason = document.createElement("span");
          reason.className = "reason";
          reason.textContent = pick.reason;
          item.append(link, reason);
          return item;
        }),
      );
      status.textContent = data.summary;
      if (inline) inline.textContent = data.summary;
    } catch (_) {
      if (mine === sequence) status.textContent = "Preview unavailable.";
    }
  }

  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  });
})();
