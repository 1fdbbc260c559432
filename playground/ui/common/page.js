// Runs once when the page loads (demo.launch(js=...), playground/ui/wiring.py).
//
// gr.Plot (Gradio 6.31) replaces its chart's <div> on every update, and plotly.js, which Gradio runs with
// config.responsive, had registered a window "resize" listener for the old one that nothing removes: one
// listener, and with it the whole old chart, leaked per update (1 -> 41 listeners after 40 updates of one
// chart; benchmarks/plot_listeners.py). Plotly.purge would remove it (Lib.clearResponsive); the old <div> is
// already detached here, so remove the listener the same way, as soon as the chart leaves the page.
() => {
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
}
