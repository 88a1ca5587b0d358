/* Quiz attempt page: autosave each answer the moment it changes, a countdown display, offline retry.
 *
 * The page works without this file (a plain form posts every answer to "Save answers" / "Submit for grading").
 * The server owns the clock: the countdown only displays the deadline the server rendered into data-deadline,
 * and the server refuses saves after it. Nothing here knows or can learn the answer key.
 */
(function () {
  "use strict";

  var form = document.getElementById("quiz-form");
  if (!form) { return; }
  var base = form.getAttribute("data-autosave-url");
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var token = tokenInput ? tokenInput.value : "";
  var pending = {};      // slot -> response not yet confirmed saved
  var inFlight = {};     // slot -> true while a request is out
  var closed = false;    // time up or submitted: stop saving
  var retryDelay = 2000;
  var retryTimer = null;

  function status(slot, text, kind) {
    var el = document.getElementById("status-" + slot);
    if (!el) { return; }
    el.textContent = text;
    el.className = "save-status" + (kind ? " save-" + kind : "");
  }

  function responseOf(fieldset) {
    var type = fieldset.getAttribute("data-type");
    var slot = fieldset.getAttribute("data-slot");
    var name = "q" + slot;
    var i, els;
    if (type === "single" || type === "true_false") {
      var checked = fieldset.querySelector("input[name='" + name + "']:checked");
      return checked ? checked.value : "";
    }
    if (type === "multiple") {
      els = fieldset.querySelectorAll("input[name='" + name + "']:checked");
      var ids = [];
      for (i = 0; i < els.length; i++) { ids.push(els[i].value); }
      return ids;
    }
    if (type === "matching") {
      els = fieldset.querySelectorAll("select[data-key]");
      var pairs = {};
      for (i = 0; i < els.length; i++) { pairs[els[i].getAttribute("data-key")] = els[i].value; }
      return pairs;
    }
    if (type === "ordering") {
      els = fieldset.querySelectorAll("select[data-key]");
      var byPosition = [], blank = 0, seen = {};
      for (i = 0; i < els.length; i++) {
        var pos = els[i].value;
        if (!pos) { blank++; continue; }
        if (seen[pos]) { return undefined; }
        seen[pos] = true;
        byPosition.push([parseInt(pos, 10), els[i].getAttribute("data-key")]);
      }
      if (blank === els.length) { return null; }
      if (blank > 0) { return undefined; }
      byPosition.sort(function (a, b) { return a[0] - b[0]; });
      return byPosition.map(function (p) { return p[1]; });
    }
    var input = fieldset.querySelector("input[name='" + name + "']");
    return input ? input.value : "";
  }

  function scheduleRetry() {
    if (retryTimer || closed) { return; }
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      flush();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  function send(slot) {
    if (closed || inFlight[slot] || !(slot in pending)) { return; }
    var response = pending[slot];
    inFlight[slot] = true;
    status(slot, "Saving…", "busy");
    fetch(base + slot, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      body: JSON.stringify({ response: response })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { ok: r.ok, code: r.status, body: body }; });
    }).then(function (result) {
      inFlight[slot] = false;
      if (result.ok && result.body.saved) {
        if (pending[slot] === response) { delete pending[slot]; } else { send(slot); return; }
        retryDelay = 2000;
        var at = result.body.saved_at ? new Date(result.body.saved_at) : new Date();
        status(slot, "Saved at " + at.toLocaleTimeString(), "ok");
      } else if (result.code === 409) {
        closed = true;
        status(slot, result.body.message || "Answers can no longer change.", "error");
        announceClosed(result.body.message);
      } else if (result.code === 400) {
        delete pending[slot];
        status(slot, "Not saved: " + (result.body.message || "check this answer."), "error");
      } else {
        status(slot, "Not saved yet (the server did not accept it). Retrying…", "error");
        scheduleRetry();
      }
    }).catch(function () {
      inFlight[slot] = false;
      status(slot, "Not saved yet: you seem to be offline. It will be sent when you reconnect.", "error");
      scheduleRetry();
    });
  }

  function flush() {
    Object.keys(pending).forEach(send);
  }

  function announceClosed(message) {
    var warning = document.getElementById("time-warning");
    if (warning) { warning.textContent = message || "Time is up."; }
  }

  function changed(event) {
    var fieldset = event.target.closest("fieldset.question");
    if (!fieldset || closed) { return; }
    var slot = fieldset.getAttribute("data-slot");
    var response = responseOf(fieldset);
    if (response === undefined) {
      status(slot, "Not saved: give each item a different position.", "error");
      return;
    }
    pending[slot] = response;
    send(slot);
  }

  form.addEventListener("change", changed);
  // Typed answers are sent after a short pause in typing, not only when the field loses focus.
  var typing = {};
  form.addEventListener("input", function (event) {
    if (event.target.tagName !== "INPUT" || event.target.type !== "text") { return; }
    var key = event.target.name;
    window.clearTimeout(typing[key]);
    typing[key] = window.setTimeout(function () { changed(event); }, 800);
  });
  window.addEventListener("online", function () { retryDelay = 2000; flush(); });
  window.addEventListener("beforeunload", function (event) {
    if (Object.keys(pending).length && !closed) { event.preventDefault(); event.returnValue = ""; }
  });

  // Countdown: a display of the server's deadline, nothing more.
  var clock = document.querySelector(".countdown[data-deadline]");
  if (clock) {
    var deadline = new Date(clock.getAttribute("data-deadline")).getTime();
    var left = clock.querySelector(".countdown-left");
    var warned = {};
    var tick = function () {
      var ms = deadline - Date.now();
      if (ms <= 0) {
        left.textContent = "Time is up.";
        if (!warned.end) { warned.end = true; announceClosed("Time is up. Your saved answers will be graded."); }
        return;
      }
      var total = Math.floor(ms / 1000);
      var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
      left.textContent = "Time left: " + (h ? h + " h " : "") + m + " min " + (s < 10 ? "0" : "") + s + " s";
      [5, 1].forEach(function (mins) {
        if (ms <= mins * 60000 && !warned[mins]) {
          warned[mins] = true;
          announceClosed(mins + " minute" + (mins > 1 ? "s" : "") + " left.");
        }
      });
      window.setTimeout(tick, 1000);
    };
    tick();
  }
})();
