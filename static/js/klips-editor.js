/* The no-code Klip editor: column pickers follow the chosen source, and every
   change re-queries the live preview with the same fields the form saves. */
(function () {
  "use strict";

  var COLUMN_FIELDS = [
    "group_by",
    "group_by_2",
    "measure_column",
    "measure_column_2",
    "filter_column_1",
    "filter_column_2",
    "filter_column_3",
  ];

  function fillSelect(select, names) {
    var chosen = Array.prototype.filter
      .call(select.options, function (o) { return o.selected; })
      .map(function (o) { return o.value; });
    select.replaceChildren();
    if (!select.multiple) {
      var blank = document.createElement("option");
      blank.value = "";
      blank.textContent = "—";
      select.appendChild(blank);
    }
    names.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      option.selected = chosen.indexOf(name) !== -1;
      select.appendChild(option);
    });
  }

  /* The names a Klip can use: the source's columns, then the joined source's,
     "Source: Column" where a name is taken (as klips.query.sides_for does). */
  function columnNames(sources, sourceId, joinId) {
    var left = sources[sourceId] ? sources[sourceId].columns : [];
    var joined = sources[joinId];
    if (!joined || joinId === sourceId) return { all: left, left: left, right: [] };
    var right = joined.columns.map(function (name) {
      return left.indexOf(name) === -1 ? name : joined.name + ": " + name;
    });
    return { all: left.concat(right), left: left, right: right };
  }

  function fillColumns(form, names) {
    fillSelect(form.elements.join_left, names.left);
    fillSelect(form.elements.join_right, names.right);
    COLUMN_FIELDS.concat(["columns"]).forEach(function (field) {
      var select = form.elements[field];
      if (!select) return;
      fillSelect(select, names.all);
    });
  }

  function showError(preview, text) {
    var error = preview.querySelector("[data-role=error]");
    error.textContent = text || "";
    error.hidden = !text;
  }

  function refreshPreview(form, preview) {
    var data = new FormData(form);
    preview.dataset.state = "loading";
    fetch(form.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": window.HarvestDashKlips.csrfToken() },
      body: data,
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { error: "The preview failed (" + response.status + ")." };
        });
      })
      .then(function (payload) {
        if (payload.error) {
          showError(preview, payload.error);
          preview.dataset.state = "error";
          return;
        }
        showError(preview, "");
        window.HarvestDashKlips.draw(preview, payload);
      })
      .catch(function () {
        showError(preview, "The preview could not be loaded.");
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("klip-form");
    var preview = document.getElementById("klip-preview");
    var columnsScript = document.getElementById("klip-source-columns");
    if (!form || !preview || !columnsScript) return;
    var columnsBySource = JSON.parse(columnsScript.textContent);
    var timer = null;

    function onSourceChange() {
      fillColumns(
        form,
        columnNames(columnsBySource, form.elements.source.value, form.elements.join_source.value)
      );
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        if (form.elements.source.value) refreshPreview(form, preview);
      }, 350);
    }

    form.elements.source.addEventListener("change", onSourceChange);
    form.elements.join_source.addEventListener("change", onSourceChange);
    form.addEventListener("change", schedule);
    form.addEventListener("input", schedule);
    if (form.elements.source.value) {
      onSourceChange();
      schedule();
    }
  });
})();
