// Live progress of queued and running refreshes on a source's page.
// Each such row carries data-progress-url; it is polled until the run ends,
// then the page reloads to show the new status, columns and stored rows.
(function () {
  "use strict";

  var POLL_MS = 2000;

  function show(row, progress) {
    var cells = {
      status: progress.status,
      pages: progress.pages_done + (progress.pages_total ? " / " + progress.pages_total : ""),
      requests: String(progress.requests),
      rows: String(progress.rows),
      bytes: String(progress.bytes),
      duration: progress.duration_ms === null ? "" : progress.duration_ms + " ms",
      error: progress.error || ""
    };
    Object.keys(cells).forEach(function (field) {
      var cell = row.querySelector('[data-field="' + field + '"]');
      if (cell) { cell.textContent = cells[field]; }
    });
  }

  function poll(row) {
    fetch(row.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) {
        if (!progress) { return; }
        show(row, progress);
        if (progress.finished) {
          window.location.reload();
        } else {
          window.setTimeout(function () { poll(row); }, POLL_MS);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(row); }, POLL_MS * 3); });
  }

  document.querySelectorAll("tr[data-progress-url]").forEach(function (row) {
    window.setTimeout(function () { poll(row); }, POLL_MS);
  });
})();
