// Every chart's toolbar (Plotly's modebar), the page's (page.js installs it for every chart with
// Plotly.setPlotConfig) and a downloaded report's (common/report.py): a plotly.js config for (Plotly, nameOf),
// nameOf(gd) giving the file name a chart downloads under (no extension).
//
// - "Download as SVG" and "Download as PNG": the chart as laid out on the page, at least MIN_WIDTH px wide (a
//   narrower chart is laid out again at that width), in the chart's own font (the layout's, as on the page);
//   the PNG at PNG_SCALE times the pixels (a 800 x 450 chart gives 1600 x 900: sharp on a slide), the SVG
//   as vector graphics. Plotly's own camera button would take neither the format nor a name computed when
//   clicked (its toImageButtonOptions are fixed per chart), so both are buttons of ours calling
//   Plotly.downloadImage; the camera is removed.
// - Only the tools that help read a chart stay (zoom, pan, reset axes): box/lasso select, zoom in/out and
//   autoscale did nothing useful here and made the toolbar twice as wide; no Plotly logo.
(Plotly, nameOf) => {
  const MIN_WIDTH = 800, PNG_SCALE = 2;
  const download = (format) => (gd) => {
    const full = gd._fullLayout;
    return Plotly.downloadImage(gd, {
      format, filename: nameOf(gd), width: Math.max(MIN_WIDTH, Math.round(full.width)),
      height: Math.round(full.height), scale: format === "png" ? PNG_SCALE : 1,
    });
  };
  const arrow = { width: 24, height: 24, path: "M11 3h2v10.2l3.6-3.6 1.4 1.4-6 6-6-6 1.4-1.4 3.6 3.6zM4 18h16v2H4z" };
  return {
    displaylogo: false,
    modeBarButtonsToRemove: ["toImage", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d"],
    modeBarButtonsToAdd: [
      { name: "download-svg", title: "Download as SVG (vector: slides, papers)", icon: arrow, click: download("svg") },
      { name: "download-png", title: `Download as PNG (${PNG_SCALE}x pixels)`, icon: Plotly.Icons.camera,
        click: download("png") },
    ],
  };
}
