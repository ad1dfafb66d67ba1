/* The no-code Klip editor: column pickers follow the chosen source and offer only
   the columns each field takes (numbers to sum, dates to bucket), and every
   change re-queries the live preview with the same fields the form saves. */
(function () {
  "use strict";

  var MEASURE_ROWS = 6;
  var CALC_ROWS = 2;
  var COLUMN_SORT = "column:";

  function field(name, row) {
    return row === 1 ? name : name + "_" + row;
  }

  function fillSelect(select, names, keepFixed) {
    var chosen = Array.prototype.filter
      .call(select.options, function (o) { return o.selected; })
      .map(function (o) { return o.value; });
    var fixed = keepFixed
      ? Array.prototype.filter.call(select.options, keepFixed)
      : [];
    select.replaceChildren();
    fixed.forEach(function (option) {
      select.appendChild(option);
      option.selected = chosen.indexOf(option.value) !== -1;
    });
    if (!select.multiple && !keepFixed) {
      var blank = document.createElement("option");
      blank.value = "";
      blank.textContent = "—";
      select.appendChild(blank);
    }
    if (select.multiple) {
      // Browsers post chosen options in page order: keep the chosen ones first,
      // in their order, so a listing keeps its column order.
      names = chosen.filter(function (name) { return names.indexOf(name) !== -1; })
        .concat(names.filter(function (name) { return chosen.indexOf(name) === -1; }));
    }
    names.forEach(function (name) {
      var option = document.createElement("option");
      option.value = (keepFixed ? COLUMN_SORT : "") + name;
      option.textContent = name;
      option.selected = chosen.indexOf(option.value) !== -1;
      select.appendChild(option);
    });
  }

  /* The columns a Klip can use: the source's, then the joined source's,
     "Source: Column" where a name is taken (as klips.query.sides_for does). */
  function sourceColumns(sources, sourceId, joinId) {
    var left = sources[sourceId] ? sources[sourceId].columns : [];
    var joined = sources[joinId];
    if (!joined || joinId === sourceId) return { all: left, left: left, right: [] };
    var leftNames = left.map(function (c) { return c.name; });
    var right = joined.columns.map(function (column) {
      var taken = leftNames.indexOf(column.name) !== -1;
      return { name: taken ? joined.name + ": " + column.name : column.name, type: column.type };
    });
    return { all: left.concat(right), left: left, right: right };
  }

  /* Date calculations are columns too: whole days, or a percentage. */
  function calcColumns(form) {
    var calcs = [];
    for (var row = 1; row <= CALC_ROWS; row++) {
      var label = form.elements["calc_label_" + row].value.trim();
      var op = form.elements["calc_op_" + row].value;
      if (label && op) {
        calcs.push({ name: label, type: op === "elapsed_percent" ? "decimal" : "integer" });
      }
    }
    return calcs;
  }

  function names(columns, types) {
    return columns
      .filter(function (c) { return !types || types.indexOf(c.type) !== -1; })
      .map(function (c) { return c.name; });
  }

  function measureKey(form, row) {
    var agg = form.elements[field("agg", row)].value;
    if (!agg) return null;
    var label = form.elements[field("measure_label", row)].value;
    var column = form.elements[field("measure_column", row)].value;
    if (label) return label;
    if (!column) return "Count";
    var words = agg.replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1) + " of " + column;
  }

  /* Formula and sort pickers name measures by row; show what each row is. */
  function relabelMeasures(form) {
    var refs = form.querySelectorAll("select[name^=formula_left_], select[name^=formula_right_]");
    for (var row = 1; row <= MEASURE_ROWS; row++) {
      var key = measureKey(form, row);
      var text = "Measure " + row + (key ? ": " + key : " (empty)");
      refs.forEach(function (select) {
        var option = select.querySelector("option[value='" + row + "']");
        if (option) option.textContent = text;
      });
      form.querySelectorAll(
        "select[name^=sort_by] option[value='" + field("measure", row) + "']"
      ).forEach(function (option) { option.textContent = text; });
    }
    form.querySelectorAll("select[name^=sort_by] option[value^=formula_]").forEach(function (option) {
      var row = option.value.split("_")[1];
      var label = form.elements["formula_label_" + row].value;
      option.textContent = "Formula " + row + (label ? ": " + label : " (empty)");
    });
  }

  function fillPickers(form, rules) {
    var columns = sourceColumns(rules.sources, form.elements.source.value, form.elements.join_source.value);
    var all = columns.all.concat(calcColumns(form));
    fillSelect(form.elements.join_left, names(columns.left));
    fillSelect(form.elements.join_right, names(columns.right));
    ["group_by", "group_by_2"].forEach(function (name, index) {
      var select = form.elements[name];
      fillSelect(select, names(all));
      var chosen = all.filter(function (c) { return c.name === select.value; })[0];
      var bucket = form.elements[index ? "bucket_2" : "bucket"];
      // Only dates fall into days, weeks, months and quarters.
      bucket.disabled = !chosen || rules.date_types.indexOf(chosen.type) === -1;
      if (bucket.disabled) bucket.value = "";
    });
    for (var row = 1; row <= MEASURE_ROWS; row++) {
      var agg = form.elements[field("agg", row)].value;
      var numeric = rules.number_aggregations.indexOf(agg) !== -1;
      fillSelect(form.elements[field("measure_column", row)], names(all, numeric ? rules.number_types : null));
    }
    form.querySelectorAll("select[name^=filter_column_]").forEach(function (select) {
      fillSelect(select, names(all));
    });
    for (row = 1; row <= CALC_ROWS; row++) {
      fillSelect(form.elements["calc_start_" + row], names(columns.all, rules.date_types));
      fillSelect(form.elements["calc_end_" + row], names(columns.all, rules.date_types));
    }
    fillSelect(form.elements.columns, names(all));
    form.querySelectorAll("select[name^=sort_by]").forEach(function (select) {
      fillSelect(select, names(all), function (option) {
        return option.value.indexOf(COLUMN_SORT) !== 0;
      });
    });
    relabelMeasures(form);
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
          // An unfinished Klip on a source without rows still says why it is empty.
          if (payload.empty) window.HarvestDashKlips.draw(preview, { empty: payload.empty });
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
    var rulesScript = document.getElementById("klip-source-columns");
    if (!form || !preview || !rulesScript) return;
    var rules = JSON.parse(rulesScript.textContent);
    var timer = null;

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        if (form.elements.source.value) refreshPreview(form, preview);
      }, 350);
    }

    form.addEventListener("change", function (event) {
      var name = event.target.name || "";
      if (event.target.tagName === "SELECT" || name.indexOf("calc_label_") === 0) {
        fillPickers(form, rules);
      }
      schedule();
    });
    form.addEventListener("input", function (event) {
      var name = event.target.name || "";
      if (name.indexOf("measure_label") === 0 || name.indexOf("formula_label") === 0) {
        relabelMeasures(form);
      }
      schedule();
    });
    if (form.elements.source.value) {
      fillPickers(form, rules);
      schedule();
    }
  });
})();
