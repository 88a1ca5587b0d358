/* Question editor: show only the fields of the chosen type, and keep a live learner preview.
 * The preview is rendered and sanitised by the server (POST /instructor/preview, CSRF token in the
 * X-CSRFToken header). Without this script the editor still works: the Preview button posts the form. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-preview-url]");
  if (!form) {
    return;
  }
  var pane = document.getElementById("preview-pane");
  var url = form.getAttribute("data-preview-url");
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var typeSelect = form.querySelector("select[name=type]");
  var sections = form.querySelectorAll(".type-section[data-types]");
  var timer = null;
  var sequence = 0;

  function showSections() {
    var type = typeSelect ? typeSelect.value : "";
    sections.forEach(function (section) {
      var types = section.getAttribute("data-types").split(" ");
      section.hidden = types.indexOf(type) === -1;
    });
  }

  function refresh() {
    if (!pane || !url) {
      return;
    }
    var mine = ++sequence;
    var headers = {};
    if (tokenInput) {
      headers["X-CSRFToken"] = tokenInput.value;
    }
    fetch(url, { method: "POST", body: new FormData(form), headers: headers, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (mine === sequence) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          pane.replaceChildren.apply(pane, Array.prototype.slice.call(doc.body.childNodes));
        }
      })
      .catch(function () {
        if (mine === sequence) {
          pane.textContent = "The preview could not be updated. Use the Preview button below the form.";
        }
      });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", function (event) {
    if (event.target === typeSelect) {
      showSections();
    }
    schedule();
  });
  showSections();
  refresh();
})();
