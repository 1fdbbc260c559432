// The Explore tab in the page: the js_on_load of its gr.HTML header (explore/header.py). `element` is that
// component; `server` holds its Python functions (explore/service.py): explore, pick and export, each taking one
// object and answering one JSON string. The decoding controls stay Gradio widgets; their change events run no
// Python, only `window.__explore.decode(...)` (events.py), so a slider move is one POST and our own drawing.
//
// - One call in flight: a change that arrives meanwhile waits, and only the latest one is sent; an answer that
//   a newer change has made stale is not drawn (responses to fast events could otherwise arrive out of order).
// - Charts are drawn with Plotly.react on gr.Plot's own graph divs (one plotly.js on the page: Gradio's), only
//   those whose figure changed, the ones on screen first; a chart that is not on screen waits until it is.
// - A step move is drawn from the views the last answer carried: no server call (step_views.py).
// - A click on a bar of the step distribution forces that token at that step and lets the search continue (a
//   branch, analysis/branch.py); a click on a node of the tree continues from that node. The branch's symbols come
//   back with every answer and go with every later decode, until "Clear branch", a new input or a new model.
const root = element.querySelector("#explore-view");
const $ = (id) => document.getElementById(id);  // the tab's other HTML pieces (header.py) are siblings
const CONTROL_NAMES = JSON.parse(root.dataset.controls);
const CHARTS = JSON.parse(root.dataset.charts);  // the chart registry's names, in page order (explore/charts.py)
const token = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now());
const picks = { hypothesis: 0, step: 1, layer: -1, head: -1 };
let views = null, controls = null, pending = null, inflight = false, generation = 0, share = "", shownModel = null;
let branch = null, linked = null;  // the branch's forced symbols, or null; a view link's {model, text, branch}
// until the page decodes that input
const shown = {}, dirty = new Set();  // chart -> {key, t} it shows; charts waiting to be shown

const graph = (name) => document.querySelector(`#plot-${name} [data-testid="plotly"]`);
const onScreen = (name) => {
  const el = graph(name), r = el ? el.getBoundingClientRect() : null;
  return r !== null && el.offsetParent !== null && r.bottom > 0 && r.top < window.innerHeight;
};
const watcher = new IntersectionObserver((entries) => {  // a chart hidden when its figure came: draw it now
  for (const entry of entries) {
    const name = entry.target.id.replace("plot-", "");
    if (entry.isIntersecting && dirty.has(name) && views) update(name);
  }
});

function react(gd, fig) {
  const layout = { ...fig.layout, autosize: true, margin: { ...(fig.layout.margin || {}), autoexpand: true } };
  window.Plotly.react(gd, fig.data, layout, { responsive: true });
  wireClicks();
}

function wireClicks() {  // once per graph div: a distribution bar or a tree node starts a branch
  const clicks = {
    distribution: (p) => Array.isArray(p.customdata) && p.customdata[1] >= 0 &&
      request("branch", { hypothesis: picks.hypothesis, step: picks.step, branch_token: p.customdata[1] }),
    tree: (p) => Array.isArray(p.customdata) && p.customdata.length === 4 &&
      request("branch", { node: Math.round(p.customdata[3]) }),
    tokens: (p) => Array.isArray(p.pointIndex) && pick({ hypothesis: p.data.meta[p.pointIndex[0]],
                                                       step: p.pointIndex[1] + 1 }),
  };
  for (const [name, onPoint] of Object.entries(clicks)) {
    const gd = graph(name);
    if (gd && gd.on && !gd.dataset.branchWired) {
      gd.dataset.branchWired = "1";
      gd.on("plotly_click", (ev) => ev && ev.points && ev.points.length && onPoint(ev.points[0]));
    }
  }
}

function update(name) {  // bring chart `name` to the current views and step, with as little drawing as can be
  const gd = graph(name), key = views.keys[name];
  if (!gd || !window.Plotly || !views.figures[name]) return;
  if (gd.offsetParent === null) {  // on a tab that is not shown: no drawing until it is
    dirty.add(name);
    watcher.observe(document.querySelector(`#plot-${name}`));
    return;
  }
  dirty.delete(name);
  const t = Math.min(Math.max(picks.step - 1, 0), Math.max(views.steps - 1, 0)), was = shown[name] || {};
  const marks = views.marks[name], perStep = views[name];  // a per-step chart's figure at every step
  if (perStep) {
    if (was.key !== key || was.t !== t) react(gd, views.steps ? perStep[t] : views.figures[name]);
  } else if (was.key !== key) {
    react(gd, views.figures[name]);
    if (marks && t !== views.shown) window.Plotly.relayout(gd, marks[t]);
  } else if (marks && was.t !== t) {
    window.Plotly.relayout(gd, marks[t]);  // only the step mark moves
  }
  shown[name] = { key, t };
}

function drawAll() {  // the charts on screen first: the one the user is looking at is drawn before the rest
  const order = [...CHARTS].sort((a, b) => onScreen(b) - onScreen(a));
  for (const name of order) update(name);
}

function setStatus(html) {
  $("status").innerHTML = html || "";
}

function renderHeader(r) {
  const notes = r.notes.map((n) => `<b>Note:</b> ${n}.`).join(" ");
  setStatus([notes, r.warning ? `<b>Stopped early:</b> ${r.warning}` : ""].filter(Boolean).join(" "));
  $("summary").innerHTML = r.summary;
  const list = $("hypotheses");
  list.replaceChildren(...r.hypotheses.map((label, i) => {
    const id = `hypothesis-${i}`, item = document.createElement("label");
    item.htmlFor = id;
    item.className = "choice";
    item.innerHTML = `<input type="radio" name="hypothesis" id="${id}" value="${i}">`;
    item.append(label);
    item.querySelector("input").checked = i === r.hypothesis;
    return item;
  }));
  $("hypothesis").hidden = r.hypotheses.length < 2;
  const step = $("step-input");
  step.max = Math.max(r.steps, 1);
  step.value = r.step;
  step.disabled = r.steps < 2;
  $("step-value").textContent = `${r.step} of ${r.steps}`;
  picks.hypothesis = r.hypothesis;
  picks.step = r.step;
  renderPicker(r);
  branch = r.branch && r.branch.length ? r.branch : null;
  $("clear-branch").hidden = branch === null;
  share = r.share;
  fillShare();
}

function renderPicker(r) {
  const [layers, heads] = r.heads;
  $("attention-picker").hidden = layers * heads < 2;
  const fill = (select, options, value) => {
    select.replaceChildren(...options.map(([label, v]) => new Option(label, v, false, v === value)));
  };
  fill($("attention-layer"), [...Array(layers).keys()].map((i) => [`layer ${i + 1} of ${layers}`, i]), r.layer);
  fill($("attention-head"), [["mean of heads", -1], ...[...Array(heads).keys()].map((k) => [`head ${k + 1}`, k])],
       r.head);
  picks.layer = r.layer;
  picks.head = r.head;
}

function render(text, { draw = true } = {}) {
  let r;
  try { r = JSON.parse(text); } catch (e) { r = { error: "The server's answer could not be read; try again." }; }
  if (r.error) {  // the previous views stay
    setStatus(`<b>${r.error}</b>`);
  } else {
    renderHeader(r);
    if (controls === null) controls = r.input;  // the page's first answer: the input and controls it shows
    shownModel = r.model;
    views = r.views;
    if (draw) drawAll();
    else for (const name of CHARTS) shown[name] = { key: views.keys[name], t: views.shown };  // gr.Plot drew them
    wireClicks();
  }
  window.dispatchEvent(new Event("explore-rendered"));  // an answer is on the page (tests and benchmarks wait)
}

async function pump() {  // one call in flight; the latest pending request only
  while (pending) {
    const { kind, payload } = pending;
    pending = null;
    inflight = true;
    root.setAttribute("aria-busy", "true");
    const mine = ++generation;
    let text;
    try { text = await server[kind]({ ...payload, token }); } catch (e) { text = undefined; }
    inflight = false;
    if (pending || mine !== generation) continue;  // superseded while it ran: draw only the newest answer
    root.removeAttribute("aria-busy");
    render(text === undefined ? JSON.stringify({ error: "The server did not answer; try again." }) : text);
  }
}

function request(kind, payload) {
  // a decode supersedes anything pending; a pick never drops a pending decode (it rides along with it), and a
  // branch, which names a step or node of the views shown, waits for no decode (it is dropped if one is pending)
  if (pending && pending.kind === "explore" && kind !== "explore") {
    if (kind === "pick") pending.payload = { ...pending.payload, ...payload };
  } else {
    pending = { kind, payload };
  }
  if (!inflight) pump();
}

function decode(model, text, language, values) {
  if (shownModel !== null && shownModel !== model) {  // another model: its default attention (last layer, mean of heads)
    picks.layer = -1;
    picks.head = -1;
  }
  if (controls && (controls.model !== model || controls.text !== text)) branch = null;  // a new input: no branch
  if (linked && linked.model === model && linked.text === text) {  // but a view link's, for the link's input
    branch = linked.branch.length ? linked.branch : null;
    linked = null;
  }
  controls = { model, text, language: language || "" };
  CONTROL_NAMES.forEach((name, i) => { controls[name] = values[i]; });
  requestDecode();
}

function setBranch(link) {  // a view link's branch (share_panel.py), for the link's input. The link also sets the
  // input, whose change may come before or after this one: until the page decodes that input, the branch waits
  if (!link) return;
  linked = link;
  if (controls && controls.model === link.model && controls.text === link.text) {  // that input is decoded already
    branch = link.branch.length ? link.branch : null;
    linked = null;
    requestDecode();
  }
}

function requestDecode() {  // the current controls, picks and branch
  request("explore", { ...controls, step: picks.step, layer: picks.layer, head: picks.head, branch });
}

function pick(changes) {
  Object.assign(picks, changes);
  request("pick", { hypothesis: picks.hypothesis, step: picks.step, layer: picks.layer, head: picks.head });
}

function fillShare() {  // the share box lives in a closed accordion: it is in the page only once opened
  const box = $("share-view");
  if (!box) return false;
  $("share-string").value = share;
  $("share-link").href = "?view=" + share;
  if (!box.dataset.wired) {
    box.dataset.wired = "1";
    $("export-trace").addEventListener("click", exportTrace);
    $("download-report").addEventListener("click", downloadReport);
  }
  return true;
}

function watchShare() {  // Gradio mounts the accordion's content when it opens, and may replace the accordion
  // itself: fill the share box whenever the page's elements change and it is stale (one lookup per batch of
  // changes; setting a value or an href adds no element, so this never feeds itself)
  new MutationObserver(() => $("share-string") && $("share-string").value !== share && fillShare()).observe(
    document.body, { childList: true, subtree: true });
}

function listen() {  // once the tab's HTML pieces are all in the page
  $("hypotheses").addEventListener("change", (e) => pick({ hypothesis: Number(e.target.value) }));
  $("attention-layer").addEventListener("change", (e) => pick({ layer: Number(e.target.value) }));
  $("attention-head").addEventListener("change", (e) => pick({ head: Number(e.target.value) }));
  $("clear-branch").addEventListener("click", () => request("branch", { clear: true }));
  $("step-input").addEventListener("input", (e) => {
    picks.step = Number(e.target.value);
    $("step-value").textContent = `${picks.step} of ${views ? views.steps : 1}`;
    if (views) drawAll();  // no server call: every step is in the views
  });
  watchShare();
}

async function exportTrace() {
  const text = await server.export({ token });
  const r = JSON.parse(text);
  if (r.error) return setStatus(`<b>${r.error}</b>`);
  const link = $("trace-file");
  link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  link.download = `trace-${r.model}-${r.text}-${r.strategy}.json`.replace(/[^A-Za-z0-9._-]+/g, "-");
  link.hidden = false;
  link.click();
}

async function downloadReport() {  // this view as one HTML file (report_api.py): the HTML itself, or an error
  const button = $("download-report");
  const input = document.querySelector("#text textarea");  // (as the charts' toolbar names its downloads: page.js)
  const name = `report-${input ? input.value : "view"}`.replace(/[^A-Za-z0-9._-]+/g, "-").slice(0, 80) + ".html";
  button.disabled = true;
  try {
    const error = await window.__saveReport(
      () => server.report({ ...picks, token, share, base: location.origin + location.pathname }), $("report-file"), name);
    if (error) setStatus(`<b>${error}</b>`);
  } finally {
    button.disabled = false;
  }
}

(function start(frames) {  // Gradio mounts the sibling pieces around the same time as this one: wait for them
  if (["step-input", "attention-picker"].every($)) {
    listen();
    render(root.dataset.initial, { draw: false });
    window.__explore = { decode, pick, exportTrace, downloadReport, setBranch, token };
    const early = window.__exploreEarly || {};  // changes that came before (events.py): the latest of each kind
    delete window.__exploreEarly;
    if (early.decode) decode(...early.decode);
    if (early.setBranch) setBranch(...early.setBranch);
    let tries = 60;  // gr.Plot draws the first figures a little later: wire them once it has (or give up)
    const wiring = setInterval(() => {
      wireClicks();
      const wired = ["distribution", "tree"].every((name) => graph(name) && graph(name).dataset.branchWired);
      if (wired || --tries <= 0) clearInterval(wiring);
    }, 500);
  } else if (frames > 0) {
    requestAnimationFrame(() => start(frames - 1));
  }
})(600);
