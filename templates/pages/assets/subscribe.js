// Subscribe form: sends the browser's time zone, so the first digest comes at the
// reader's hour, not at midnight UTC. Without JavaScript the form still works (UTC).
"use strict";
(function () {
  const field = document.getElementById("subscribe-timezone");
  if (!field) return;
  try {
    field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (_) {
    /* leave it empty: UTC */
  }
})();
