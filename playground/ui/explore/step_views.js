// Draws the Explore views in the page (see step_views.py), with no server round trip of its own.
// Runs on two events with the same arguments: the slider's step (1-based) and the views JSON.
//  - a new views JSON (a decode or a hypothesis pick): every chart whose figure changed is redrawn;
//  - a step move (same JSON): the step's distribution is drawn and the other charts' marks move.
// Uses the Plotly that Gradio's Plot loaded (window.Plotly), on the very graph divs that gr.Plot owns, with
// Plotly.react, which updates an existing chart in place, and gr.Plot's settings (responsive, autosize,
// auto-expanding margins).
(step, viewsJson) => {
  const Plotly = window.Plotly;
  if (!Plotly || !viewsJson) return [];
  let cached = window.__stepViews;
  const fresh = !cached || cached.json !== viewsJson;
  if (fresh) {  // parse once per decode, not once per move
    cached = window.__stepViews = { json: viewsJson, views: JSON.parse(viewsJson) };
  }
  const views = cached.views;
  const graph = (name) => document.querySelector(`#plot-${name} [data-testid="plotly"]`);
  const draw = (name, fig) => {
    const gd = graph(name);
    if (!gd || !fig) return;
    const layout = { ...fig.layout, autosize: true, margin: { ...(fig.layout.margin || {}), autoexpand: true } };
    Plotly.react(gd, fig.data, layout, { responsive: true });
  };
  const shown = window.__shownKeys || (window.__shownKeys = {});  // chart -> key of the figure it shows
  if (fresh) {  // redraw only the charts whose figure changed (a moved step mark counts as changed)
    for (const [name, fig] of Object.entries(views.figures)) {
      if (shown[name] !== views.keys[name]) draw(name, fig);
      shown[name] = views.keys[name];
    }
  }
  if (!views.steps) return [];
  const t = Math.min(Math.max(Math.round(Number(step)) - 1, 0), views.steps - 1);
  if (fresh && t === views.shown) return [];  // the figures were rendered for this very step
  draw("distribution", views.distribution[t]);
  shown.distribution = null;
  for (const [name, marks] of Object.entries(views.marks)) {
    const gd = graph(name);
    if (gd && marks) Plotly.relayout(gd, marks[t]);
    shown[name] = null;
  }
  return [];
}
