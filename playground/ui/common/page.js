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
  // "Download report" (explore/explore.js) and a lesson's "Report (HTML)" (tabs/lesson_report.js): `call()` resolves
  // to the report's HTML, or to JSON {"error": ...}; the HTML is saved through `link` as `name`. Returns the message
  // to show ("" when the file was saved).
  window.__saveReport = async (call, link, name) => {
    const failed = "The report could not be made; try again.";
    let text;
    try { text = await call(); } catch (e) { return "The server did not answer; try again."; }
    if (typeof text !== "string" || !text.startsWith("<!DOCTYPE html>")) {
      try { return JSON.parse(text).error || failed; } catch (e) { return failed; }
    }
    if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);  // the previous report's file
    link.href = URL.createObjectURL(new Blob([text], { type: "text/html" }));
    link.download = name.replace(/[^A-Za-z0-9._-]+/g, "-");
    link.click();
    return "";
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
