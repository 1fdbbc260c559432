// Runs once when the page loads (demo.launch(js=...), playground/ui/wiring.py), given `toolbar`: every chart's
// toolbar config (common/toolbar.js; common/toolbar.py hands it over).
(toolbar) => {
  // gr.Plot (Gradio 6.31) replaces its chart's <div> on every update, and plotly.js, which Gradio runs with
  // config.responsive, had registered a window "resize" listener for the old one that nothing removes: one
  // listener, and with it the whole old chart, leaked per update (1 -> 41 listeners after 40 updates of one
  // chart; benchmarks/plot_listeners.py). Plotly.purge would remove it (Lib.clearResponsive); the old <div> is
  // already detached here, so remove the listener the same way, as soon as the chart leaves the page.
  const release = (gd) => {
    if (gd._responsiveChartHandler && !gd.isConnected) {
      window.removeEventListener("resize", gd._responsiveChartHandler);
      delete gd._responsiveChartHandler;
    }
  };
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.removedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        if (node.classList.contains("js-plotly-plot")) release(node);
        node.querySelectorAll(".js-plotly-plot").forEach(release);
      }
    }
  }).observe(document.body, { childList: true, subtree: true });

  // The toolbar's downloads are named after the chart (its element, plot-<name>) and what it shows: the input box,
  // or the figure's layout.meta.subject when it has one (a lesson's word), e.g. "distribution-colonel.svg".
  const nameOf = (gd) => {
    const host = gd.closest('[id^="plot-"]'), meta = gd.layout && gd.layout.meta, box = document.querySelector("#text textarea");
    const subject = (meta && meta.subject) || (box ? box.value : "");
    return [host ? host.id.replace(/^plot-/, "") : "chart", subject].join("-").replace(/[^A-Za-z0-9._-]+/g, "-")
      .replace(/^-+|-+$/g, "").slice(0, 80) || "chart";
  };
  // Gradio's plotly.js arrives in a chunk of its own, after this runs or before: set the config for every chart
  // as soon as it is there (Plotly.setPlotConfig: the defaults of every chart drawn after), and give the charts
  // already drawn (which keep the config they were drawn with) the same.
  const install = (Plotly) => {
    const config = toolbar(Plotly, nameOf);
    Plotly.setPlotConfig(config);
    document.querySelectorAll(".js-plotly-plot").forEach((gd) => {
      if (gd.data && gd.layout) Plotly.react(gd, gd.data, gd.layout, { ...config, responsive: true });
    });
  };
  if (window.Plotly) {
    install(window.Plotly);
  } else {
    Object.defineProperty(window, "Plotly", {
      configurable: true,
      set(Plotly) {
        Object.defineProperty(window, "Plotly", { value: Plotly, writable: true, configurable: true });
        install(Plotly);
      },
    });
  }
}
