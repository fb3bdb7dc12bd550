"""The HTML stepper of ``gl.walk`` and ``gl.quiz``: one self-contained page (frames inline, no
external file, no server), and the same page inline in a notebook.

The page shows one frame per Step (buttons, arrow keys, Home/End, a slider, ``#frame=N``) and
has a "quiz" toggle: when it is on, each Step that sends gradient to its inputs first shows its
question frame (the inputs' edges read '?') and asks for each input's downstream gradient; the
answers and the feedback come from ``questions.py`` as JSON, the script only compares numbers.

In a notebook the page goes into an ``<iframe srcdoc="...">``: its own document, so several
walks on one page keep their own ids, keys and state, and it works without a kernel (exported
HTML, VS Code, Colab). The frame is not sandboxed: the parent page (and the browser tests) may
read it, and its script sets the frame's height to fit the page.
"""
from __future__ import annotations

import html
import itertools
import json
import re
import uuid

#: "fit to window" shrinks a frame at most to this scale (12-point text stays about 9 points)
MIN_FIT_SCALE = 0.75
#: pixels the title, the help, the controls and the quiz panel take above the frame
CHROME_HEIGHT = 230
PIXELS_PER_POINT = 96 / 72

_frame_numbers = itertools.count(1)


def inline_svg(svg: str) -> str:
    """An SVG document as an element to put inside HTML (no XML prolog or doctype)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def page(title: str, frames: list, quiz: dict, quiz_on: bool = False) -> str:
    """The stepper for ``frames`` (walk.Frame, each with its ``svg``, and its ``question_svg``
    where the quiz asks something), ``quiz`` the questions (``questions.quiz_data``), the quiz
    toggle on from the start when ``quiz_on``."""
    figures = []
    for frame in frames:
        hidden = "" if frame.index == 0 else " hidden"
        figures.append(_figure("frame", frame.index, frame.node, frame.pending, frame.caption, frame.svg, hidden))
        if frame.question_svg is not None:
            figures.append(_figure("question", frame.index, frame.node, frame.pending, frame.question_caption,
                                   frame.question_svg, " hidden"))
    return PAGE.format(title=html.escape(title), count=len(frames), figures="\n".join(figures),
                       first=html.escape(frames[0].caption[0]), min_scale=MIN_FIT_SCALE,
                       quiz_checked=" checked" if quiz_on else "", data=_script_json(quiz),
                       style=STYLE, script=SCRIPT)


def _figure(kind: str, index: int, node: str, pending: list, caption: list, svg: str, hidden: str) -> str:
    text = " | ".join(caption)
    return (f'<figure class="{kind}" id="{kind}-{index + 1}" data-node="{html.escape(node)}" '
            f'data-pending="{html.escape(", ".join(pending))}" data-caption="{html.escape(text)}"'
            f'{hidden}>\n{inline_svg(svg)}</figure>')


def _script_json(data) -> str:
    """JSON to put inside ``<script type="application/json">``: no '<' that could close it."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace("&", "\\u0026")


def iframe(page_html: str, kind: str = "walk") -> str:
    """``page_html`` inline: an ``<iframe srcdoc>`` with a unique id, about as tall as the page
    (its script then fits the height exactly)."""
    heights = [float(value) for value in re.findall(r'<svg[^>]*?height="([\d.]+)pt"', page_html)[:1]]
    height = int(CHROME_HEIGHT + (heights[0] * PIXELS_PER_POINT if heights else 400))
    frame_id = f"graphlab-{kind}-{next(_frame_numbers)}-{uuid.uuid4().hex[:8]}"
    return (f'<iframe id="{frame_id}" class="graphlab-{kind}" title="graphlab {kind}" '
            f'srcdoc="{html.escape(page_html, quote=True)}" '
            f'style="width: 100%; height: {height}px; border: 1px solid #d0d7de; border-radius: 6px;">'
            f'</iframe>')


STYLE = """  body { font-family: Helvetica, Arial, sans-serif; margin: 16px; color: #1f2328; }
  h1 { font-size: 18px; margin: 0 0 6px 0; }
  p.help { margin: 0 0 10px 0; color: #57606a; font-size: 13px; }
  #controls { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; margin-bottom: 10px; }
  #controls button { font-size: 14px; padding: 4px 12px; }
  #controls button, #controls label, #counter, #score { white-space: nowrap; }
  #slider { width: 260px; }
  #counter, #score { font-weight: bold; }
  #controls label { font-size: 13px; }
  #status { color: #57606a; font-size: 13px; flex: 1 1 300px; }
  #quiz-panel { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 10px; margin-bottom: 10px;
                background: #f6f8fa; font-size: 14px; }
  #quiz-panel[hidden] { display: none; }
  #question { font-weight: bold; margin-bottom: 6px; }
  #format { color: #57606a; font-size: 12px; margin-bottom: 6px; }
  #answer { font-family: Menlo, Consolas, monospace; font-size: 14px; width: 22em; }
  #feedback { white-space: pre-line; margin-top: 6px; }
  #feedback.wrong { color: #cf222e; }
  #feedback.right { color: #1a7f37; }
  #frames { overflow-x: auto; }
  /* fit to window shrinks a wide frame, but never below the minimum scale of its size (the
     script sets each SVG's min-width): past that the text is unreadable, so the frame scrolls */
  #frames.fit svg { max-width: 100%; height: auto; }
  figure.frame, figure.question { margin: 0; }"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
{style}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="help">One frame per Step of the backward walk: the yellow node is being processed
(upstream &times; local = downstream), dashed orange nodes wait in the queue, and every gradient
known so far is written in red. Keys: &larr; / &rarr;, Home, End.</p>
<div id="controls">
  <button id="prev" type="button">&#9664; previous</button>
  <input id="slider" type="range" min="1" max="{count}" value="1" aria-label="step">
  <button id="next" type="button">next &#9654;</button>
  <span id="counter">Step 1 of {count}</span>
  <label><input id="fit" type="checkbox" checked> fit to window</label>
  <label><input id="quiz" type="checkbox"{quiz_checked}> quiz</label>
  <span id="score" hidden>score 0/0</span>
  <span id="status">{first}</span>
</div>
<div id="quiz-panel" hidden>
  <div id="question"></div>
  <div id="format"></div>
  <input id="answer" type="text" autocomplete="off" spellcheck="false" aria-label="your answer">
  <button id="check" type="button">check</button>
  <div id="feedback"></div>
</div>
<div id="frames" class="fit" data-min-scale="{min_scale}">
{figures}
</div>
<script type="application/json" id="quiz-data">{data}</script>
<script>
{script}
</script>
</body>
</html>
"""

SCRIPT = r"""(function () {
  function byId(name) { return document.getElementById(name); }
  var frames = document.querySelectorAll("figure.frame");
  var slider = byId("slider"), counter = byId("counter"), status = byId("status");
  var previous = byId("prev"), next = byId("next"), quizBox = byId("quiz"), score = byId("score");
  var panel = byId("quiz-panel"), question = byId("question"), format = byId("format");
  var answer = byId("answer"), check = byId("check"), feedback = byId("feedback");
  var data = JSON.parse(byId("quiz-data").textContent);
  var current = 0;
  // the quiz: per Step, which question is asked, the wrong tries so far, what was said
  var state = [], right = 0, asked = 0;
  var total = data.steps.reduce(function (sum, step) { return sum + step.questions.length; }, 0);
  function restart() {
    state = data.steps.map(function () { return {question: 0, tries: 0, said: "", mood: ""}; });
    right = 0; asked = 0;
  }
  function isOpen(index) {
    return quizBox.checked && state[index].question < data.steps[index].questions.length;
  }
  function firstOpen() {
    for (var k = 0; k < frames.length; k++) { if (isOpen(k)) { return k; } }
    return frames.length - 1;
  }
  function show(index) {
    index = Math.max(0, Math.min(frames.length - 1, index));
    if (quizBox.checked) { index = Math.min(index, firstOpen()); }   // no peeking past a question
    var open = isOpen(index);
    for (var k = 0; k < frames.length; k++) { frames[k].hidden = (k !== index || open); }
    var asking = document.querySelectorAll("figure.question");
    for (var q = 0; q < asking.length; q++) { asking[q].hidden = !(open && asking[q].id === "question-" + (index + 1)); }
    var shown = open ? byId("question-" + (index + 1)) : frames[index];
    current = index;
    slider.value = String(index + 1);
    counter.textContent = "Step " + (index + 1) + " of " + frames.length;
    status.textContent = shown.getAttribute("data-caption").split(" | ")[0];
    previous.disabled = index === 0;
    next.disabled = index === frames.length - 1 || open;
    document.body.setAttribute("data-frame", String(index + 1));
    showQuiz(index);
    var hash = "#frame=" + (index + 1);
    if (location.hash !== hash) {
      try { history.replaceState(null, "", hash); } catch (error) { /* file: and srcdoc pages */ }
    }
    fitHeight();
  }
  function showQuiz(index) {
    panel.hidden = !quizBox.checked;
    score.hidden = !quizBox.checked;
    score.textContent = "score " + right + "/" + asked;
    if (!quizBox.checked) { return; }
    var step = data.steps[index], here = state[index], open = isOpen(index);
    if (open) {
      var item = step.questions[here.question];
      question.textContent = step.title + ": what does " + item.name + " receive? " + item.gradient + " = ?";
      format.textContent = "type " + item.format + " (right within a relative " + data.tolerance + "; " +
        data.tries + " tries)";
    } else if (asked === total) {
      question.textContent = "All " + total + " questions answered: score " + right + "/" + asked +
        " (turn the quiz off and on to start again)";
      format.textContent = "";
    } else {
      question.textContent = step.questions.length ? step.title + ": answered, press next" :
        step.title + ": nothing to answer here, press next";
      format.textContent = "";
    }
    answer.disabled = check.disabled = !open;
    feedback.textContent = here.said;
    feedback.className = here.mood;
  }
  function numbersIn(text) {
    var found = text.replace(/\u2212/g, "-").match(/[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g);
    return found ? found.map(Number) : [];
  }
  function isClose(typed, expected) {
    for (var k = 0; k < expected.length; k++) {
      var value = typed.length === 1 ? typed[0] : typed[k];
      if (!(Math.abs(value - expected[k]) <= data.tolerance * Math.abs(expected[k]))) { return false; }
    }
    return true;
  }
  function submit() {
    var index = current, here = state[index];
    if (!isOpen(index)) { return; }
    var item = data.steps[index].questions[here.question];
    var typed = numbersIn(answer.value);
    if (typed.length !== 1 && typed.length !== item.size) {
      here.said = item.gradient + ": type " + item.format + " (found " + typed.length + ")";
      here.mood = "wrong";
    } else if (isClose(typed, item.expected)) {
      right += 1; asked += 1;
      here.said = "Right! " + item.answer; here.mood = "right";
      here.question += 1; here.tries = 0;
    } else if (here.tries + 1 < data.tries) {
      here.tries += 1;
      here.said = "Not quite (try " + here.tries + " of " + data.tries + "): " + item.explain.join("\n");
      here.mood = "wrong";
    } else {
      asked += 1;
      here.said = "The answer, after " + data.tries + " tries: " + item.answer; here.mood = "wrong";
      here.question += 1; here.tries = 0;
    }
    answer.value = "";
    show(index);
    if (isOpen(index)) { answer.focus(); } else { next.focus(); }
  }
  function fitHeight() {   // inline in a notebook: the iframe as tall as the page
    try {
      var host = window.frameElement;
      if (host) { host.style.height = Math.ceil(document.body.getBoundingClientRect().bottom + 20) + "px"; }
    } catch (error) { /* a frame of another origin: it keeps its height */ }
  }
  function fromHash() {
    var match = /frame=(\d+)/.exec(location.hash);
    show(match ? parseInt(match[1], 10) - 1 : current);
  }
  // "fit to window" may shrink a frame only down to the minimum readable scale
  var minimum = parseFloat(byId("frames").getAttribute("data-min-scale"));
  var drawings = document.querySelectorAll("#frames svg");
  for (var d = 0; d < drawings.length; d++) {
    var natural = drawings[d].width.baseVal.value;
    if (natural > 0) { drawings[d].style.minWidth = Math.round(natural * minimum) + "px"; }
  }
  var fit = byId("fit");
  fit.addEventListener("change", function () { byId("frames").className = fit.checked ? "fit" : ""; fitHeight(); });
  quizBox.addEventListener("change", function () { restart(); show(quizBox.checked ? 0 : current); });
  previous.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10) - 1); });
  check.addEventListener("click", submit);
  answer.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); submit(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.target === answer) { return; }          // typing an answer moves no frame
    if (event.target === slider && (event.key === "ArrowLeft" || event.key === "ArrowRight")) { return; }
    if (event.key === "ArrowRight" || event.key === "PageDown") { show(current + 1); }
    else if (event.key === "ArrowLeft" || event.key === "PageUp") { show(current - 1); }
    else if (event.key === "Home") { show(0); }
    else if (event.key === "End") { show(frames.length - 1); }
    else { return; }
    event.preventDefault();
  });
  window.addEventListener("hashchange", fromHash);
  window.addEventListener("resize", fitHeight);
  window.addEventListener("load", fitHeight);          // again once fonts are in
  restart();
  fromHash();
})();"""
