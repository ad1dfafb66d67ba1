/* The plotly.js HarvestDash serves: Plotly's core plus the trace types that
   klips/render.py emits (a table Klip is HTML, not a Plotly table). A Klip kind
   that emits another trace type fails tests/klips/test_plotly_bundle.py until
   its module is added here and ./build.sh is run again. */
"use strict";

var Plotly = require("plotly.js/lib/core");

Plotly.register([
  require("plotly.js/lib/scatter"), // line, area, scatter, the number sparkline
  require("plotly.js/lib/bar"),
  require("plotly.js/lib/pie"), // pie and donut
  require("plotly.js/lib/heatmap"),
  require("plotly.js/lib/indicator"), // gauge and number
]);

module.exports = Plotly;
