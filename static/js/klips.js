/* Dashboard cards: fetch each Klip's payload, draw it with Plotly or as a table,
   and keep the grid layout saved. All Harvest text goes in via textContent or
   as Plotly text that the server already escaped. */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function part(card, role) {
    return card.querySelector("[data-role=" + role + "]");
  }

  function message(body, text, className) {
    var p = document.createElement("p");
    p.className = className || "muted";
    p.textContent = text;
    body.appendChild(p);
  }

  function showFreshness(card, payload) {
    var stale = part(card, "stale");
    if (stale) stale.hidden = !payload.stale;
    var asOf = part(card, "as-of");
    if (!asOf) return;
    if (payload.as_of) {
      asOf.textContent = "Data as of " + new Date(payload.as_of).toLocaleString();
      asOf.dataset.asOf = payload.as_of;
    } else {
      asOf.textContent = payload.source ? "Never refreshed" : "";
    }
  }

  function compare(a, b) {
    if (a === b) return 0;
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }

  function drawTable(body, table) {
    var wrap = document.createElement("div");
    wrap.className = "scroll klip-table";
    var el = document.createElement("table");
    el.className = "data";
    var head = el.createTHead().insertRow();
    var tbody = el.createTBody();
    var rows = table.rows.slice();
    var sortState = { index: -1, direction: 1 };

    function fill() {
      tbody.replaceChildren();
      rows.forEach(function (row) {
        var tr = tbody.insertRow();
        row.forEach(function (cell, i) {
          var td = tr.insertCell();
          td.textContent = cell.t;
          if (table.columns[i].numeric) td.className = "num";
        });
      });
    }

    table.columns.forEach(function (column, index) {
      var th = document.createElement("th");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = column.name;
      button.title = "Sort by " + column.name;
      button.addEventListener("click", function () {
        sortState.direction = sortState.index === index ? -sortState.direction : 1;
        sortState.index = index;
        rows.sort(function (a, b) {
          return sortState.direction * compare(a[index].v, b[index].v);
        });
        head.querySelectorAll("th").forEach(function (cell) {
          cell.removeAttribute("aria-sort");
        });
        th.setAttribute("aria-sort", sortState.direction > 0 ? "ascending" : "descending");
        fill();
      });
      if (column.numeric) th.className = "num";
      th.appendChild(button);
      head.appendChild(th);
    });
    fill();
    wrap.appendChild(el);
    body.appendChild(wrap);
    if (table.truncated) message(body, "Showing the first " + rows.length + " rows.");
  }

  function fileName(card) {
    var name = (card.dataset.name || "klip").replace(/[^A-Za-z0-9_-]+/g, "-");
    return name.replace(/^-+|-+$/g, "") || "klip";
  }

  function drawFigure(card, body, figure) {
    var plot = document.createElement("div");
    plot.className = "klip-plot";
    plot.dataset.role = "plot";
    body.appendChild(plot);
    // The modebar's camera button is Plotly's own PNG export.
    Plotly.newPlot(plot, figure.data, figure.layout, {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["sendDataToCloud"],
      toImageButtonOptions: { format: "png", filename: fileName(card) },
    });
  }

  function clear(body) {
    body.querySelectorAll(".js-plotly-plot").forEach(function (plot) {
      if (window.Plotly) Plotly.purge(plot);
    });
    body.replaceChildren();
  }

  function draw(card, payload) {
    var body = part(card, "body");
    clear(body);
    showFreshness(card, payload);
    if (payload.version !== undefined) card.dataset.version = payload.version;
    if (payload.error) {
      message(body, payload.error, "errorlist");
      card.dataset.state = "error";
      return;
    }
    if (payload.empty) {
      message(body, payload.empty);
      card.dataset.state = "empty";
      return;
    }
    if (payload.table) {
      drawTable(body, payload.table);
    } else {
      drawFigure(card, body, payload.figure);
    }
    card.dataset.state = "ready";
  }

  /* Data requests start as soon as this script runs; drawing waits for the
     page's scripts (Plotly, which loads after this file) to be ready. */
  var pageReady = new Promise(function (resolve) {
    if (document.readyState !== "loading") resolve();
    else document.addEventListener("DOMContentLoaded", resolve);
  });

  function load(card) {
    card.dataset.state = "loading";
    fetch(card.dataset.dataUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { error: "The server sent no data (" + response.status + ")." };
        });
      })
      .then(function (payload) {
        return pageReady.then(function () {
          draw(card, payload);
        });
      })
      .catch(function () {
        pageReady.then(function () {
          draw(card, { error: "Could not load this Klip." });
        });
      });
  }

  function resizePlots(item) {
    item.querySelectorAll(".klip-plot").forEach(function (plot) {
      if (window.Plotly && plot.data) Plotly.Plots.resize(plot);
    });
  }

  function saveLayout(grid, url) {
    var positions = grid.save(false).map(function (item) {
      return { id: Number(item.id), x: item.x || 0, y: item.y || 0, w: item.w, h: item.h };
    });
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(positions),
    });
  }

  function initGrid() {
    var el = document.getElementById("klip-grid");
    if (!el || typeof GridStack === "undefined") return;
    var editable = el.dataset.editable === "true";
    var grid = GridStack.init(
      {
        column: 12,
        cellHeight: 90,
        margin: 8,
        float: false,
        staticGrid: !editable,
        handle: ".klip-head",
      },
      el
    );
    if (!editable) return;
    grid.on("change", function () {
      saveLayout(grid, el.dataset.layoutUrl);
    });
    grid.on("resizestop", function (event, item) {
      resizePlots(item);
    });
  }

  function initConfirms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  /* Ask which Klips' sources have a new version (or turned stale) and re-fetch
     only those; the poll itself reads no data file. */
  function pollVersions(url) {
    if (document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : { klips: {} };
      })
      .then(function (answer) {
        document.querySelectorAll(".klip[data-data-url]").forEach(function (card) {
          var current = answer.klips[card.dataset.klipId];
          if (!current || card.dataset.state === "loading") return;
          if (current.version !== card.dataset.version) load(card);
        });
      })
      .catch(function () {
        /* Offline for a moment: the next poll tries again. */
      });
  }

  function pollSeconds(el) {
    var fromPage = Number(new URLSearchParams(window.location.search).get("poll"));
    var seconds = fromPage >= 1 ? fromPage : Number(el.dataset.pollSeconds);
    return seconds >= 1 ? seconds : 30;
  }

  function initPolling() {
    var el = document.getElementById("klip-grid");
    if (!el || !el.dataset.versionsUrl) return;
    window.setInterval(function () {
      pollVersions(el.dataset.versionsUrl);
    }, pollSeconds(el) * 1000);
  }

  function initTv() {
    var button = document.getElementById("tv-fullscreen");
    if (button) {
      button.addEventListener("click", function () {
        if (document.fullscreenElement) document.exitFullscreen();
        else document.documentElement.requestFullscreen();
      });
    }
    var clock = document.querySelector(".tv [data-role=clock]");
    if (!clock) return;
    function tick() {
      clock.textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    }
    tick();
    window.setInterval(tick, 15000);
  }

  /* TV mode with ?cycle=N: one Klip fills the screen, the next every N seconds. */
  function initCycle() {
    var seconds = Number(new URLSearchParams(window.location.search).get("cycle"));
    var items = Array.prototype.slice.call(document.querySelectorAll(".tv .grid-stack-item"));
    if (!(seconds >= 3) || items.length < 1) return;
    document.body.classList.add("tv-cycle");
    var index = 0;
    function show() {
      items.forEach(function (item, n) {
        item.classList.toggle("tv-current", n === index);
      });
      resizePlots(items[index]);
      index = (index + 1) % items.length;
    }
    show();
    window.setInterval(show, seconds * 1000);
  }

  window.HarvestDashKlips = { draw: draw, csrfToken: csrfToken };

  document.addEventListener("DOMContentLoaded", function () {
    initGrid();
    initConfirms();
    initTv();
    initCycle();
    initPolling();
  });
  // The cards are above this script in the page, so they can be fetched now.
  document.querySelectorAll(".klip[data-data-url]").forEach(load);
})();
