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
  let text;
  try {
    text = await server.report({ lesson: key, base: location.origin + location.pathname });
  } catch (e) {
    text = JSON.stringify({ error: "The server did not answer; try again." });
  } finally {
    button.disabled = false;
  }
  if (typeof text !== "string" || !text.startsWith("<!DOCTYPE html>")) {
    let r;
    try { r = JSON.parse(text); } catch (e) { r = { error: "The report could not be made; try again." }; }
    return say(r.error);
  }
  const link = element.querySelector("#lesson-report-file");
  if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([text], { type: "text/html" }));
  link.download = `lesson-${key}.html`.replace(/[^A-Za-z0-9._-]+/g, "-");
  link.click();
});
