// The Learn tab's "Report (HTML)" (report_api.lesson_button): the js_on_load of its gr.HTML; `server.report` gives
// the lesson's report, the HTML text itself, or {"error": ...}. The lesson shown is the one the tab's link box names
// (?lesson=<key>, which the tab fills whenever a lesson opens).
const button = element.querySelector("#lesson-report");
const say = (text) => { element.querySelector("#lesson-report-status").textContent = text; };

function shownLesson() {
  const box = document.querySelector("#lesson-link textarea, #lesson-link input");
  try { return box && box.value ? new URL(box.value).searchParams.get("lesson") || "" : ""; } catch (e) { return ""; }
}

button.addEventListener("click", async () => {
  const key = shownLesson();
  if (!key) return say("Pick a lesson first.");
  button.disabled = true;
  say("");
  try {  // (page.js saves it, or says why not)
    say(await window.__saveReport(() => server.report({ lesson: key, base: location.origin + location.pathname }),
                                  element.querySelector("#lesson-report-file"), `lesson-${key}.html`));
  } finally {
    button.disabled = false;
  }
});
