// The step slider's handler, run in the page with no server round trip (see step_views.py).
// Arguments: the slider's value (1-based step) and the JSON that step_views.py made for the shown
// hypothesis. Draws with the Plotly that Gradio's Plot loaded (window.Plotly), on the very graph divs
// that gr.Plot owns, the way gr.Plot draws (responsive config, autosize, auto-expanding margins).
(step, viewsJson) => {
  const Plotly = window.Plotly;
  if (!Plotly || !viewsJson) return [];
  let cached = window.__stepViews;  // parse once per decode, not once per move
  if (!cached || cached.json !== viewsJson) {
    cached = window.__stepViews = { json: viewsJson, views: JSON.parse(viewsJson) };
  }
  const views = cached.views;
  if (!views.steps) return [];
  const t = Math.min(Math.max(Math.round(Number(step)) - 1, 0), views.steps - 1);
  const graph = (name) => document.querySelector(`#plot-${name} [data-testid="plotly"]`);
  const gd = graph("distribution");
  if (gd) {
    const fig = views.distribution[t];
    const layout = { ...fig.layout, autosize: true, margin: { ...(fig.layout.margin || {}), autoexpand: true } };
    Plotly.react(gd, fig.data, layout, { responsive: true });
  }
  for (const name of ["attention", "tree", "uncertainty"]) {
    const div = graph(name);
    if (div && views[name]) Plotly.relayout(div, views[name][t]);
  }
  return [];
}
