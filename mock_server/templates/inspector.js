// The inspector's one script (served from /_mock/ui/inspector.js; the page's CSP allows no other).
// It polls the traffic list with a cursor, opens an exchange beside the list, copies snippets, and
// sends the action buttons and forms to the control plane with the page's control token.
(function () {
  "use strict";
  var tokenMeta = document.querySelector('meta[name="mock-token"]');
  var token = tokenMeta ? tokenMeta.getAttribute("content") : "";
  var flash = document.getElementById("flash");
  var POLL_MS = 1000;

  function say(text, failed) {
    if (!flash) return;
    flash.textContent = text;
    flash.setAttribute("data-kind", failed ? "error" : "ok");
  }

  // after an action the button may be gone (the view was reloaded): keep the keyboard user's
  // place at the message that says what happened
  function settle(text, failed) {
    say(text, failed);
    if (flash && !document.activeElement.closest("#main")) flash.focus();
  }

  function send(method, url, body) {
    var init = {method: method, credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-Mock-Token": token}};
    if (body !== undefined && method !== "GET" && method !== "DELETE") init.body = JSON.stringify(body);
    return fetch(url, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = JSON.parse(text); } catch (e) { data = text; }
        if (!res.ok) throw new Error((data && data.error) || ("HTTP " + res.status));
        return data;
      });
    });
  }

  function partOf(href) {
    var url = new URL(href, location.href);
    url.searchParams.set("part", "1");
    return fetch(url.toString(), {credentials: "same-origin"}).then(function (res) {
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.text();
    });
  }

  function refreshMain() {
    var main = document.getElementById("main");
    if (!main || document.body.getAttribute("data-view") === "traffic") return Promise.resolve();
    return partOf(location.href).then(function (html) { main.innerHTML = html; });
  }

  // -- buttons and forms that call the control plane ------------------------------------------
  function act(button) {
    var question = button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;  // moves more than this record: ask first
    var body = button.getAttribute("data-body");
    button.disabled = true;
    send(button.getAttribute("data-method") || "POST", button.getAttribute("data-post"),
         body ? JSON.parse(body) : {})
      .then(function () { return refreshMain(); })
      .then(function () { settle(button.textContent + ": done."); })
      .catch(function (err) {
        // refused, often because the record moved on meanwhile (paid elsewhere): say so, then show it as it is
        settle(button.textContent + ": refused: " + err.message, true);
        button.disabled = false;
        refreshMain().catch(function () {});
      });
  }

  function formJson(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.value === "") return;
      if (el.type === "checkbox") { out[el.name] = el.checked; return; }
      if (el.hasAttribute("data-json")) { out[el.name] = JSON.parse(el.value); return; }
      out[el.name] = el.type === "number" ? Number(el.value) : el.value;
    });
    return out;
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute("data-post")) return;
    ev.preventDefault();
    var body;
    try { body = formJson(form); } catch (err) { settle("Refused: not JSON: " + err.message, true); return; }
    send("POST", form.getAttribute("data-post"), body)
      .then(function () { return refreshMain(); })
      .then(function () { settle("Done."); })
      .catch(function (err) { settle("Refused: " + err.message, true); });
  });

  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) return;
    var text = target.textContent;
    var done = function () { say("Copied to the clipboard."); };
    var manual = function () {
      var range = document.createRange();
      range.selectNodeContents(target);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      say("Select the text and copy it: the clipboard is not available here.", true);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, manual);
    } else {
      manual();
    }
  }

  // -- the exchange beside the list -----------------------------------------------------------
  function openDetail(link) {
    var pane = document.getElementById("detail");
    if (!pane) { location.href = link.href; return; }
    partOf(link.href).then(function (html) {
      pane.innerHTML = html;
      var rows = document.querySelectorAll("#traffic tr[aria-current]");
      Array.prototype.forEach.call(rows, function (r) { r.removeAttribute("aria-current"); });
      var row = link.closest("tr");
      if (row) row.setAttribute("aria-current", "true");
      pane.focus({preventScroll: true});
      // beside the list it is in view (sticky); below it (a narrow window) it is brought into view
      var box = pane.getBoundingClientRect();
      if (box.top > window.innerHeight || box.bottom < 0) pane.scrollIntoView({block: "start"});
    }).catch(function (err) { say("Could not open it: " + err.message, true); });
  }

  function closeDetail() {
    var pane = document.getElementById("detail");
    if (!pane || !pane.innerHTML) return;
    pane.innerHTML = "";
    var row = document.querySelector("#traffic tr[aria-current]");
    if (row) {
      row.removeAttribute("aria-current");
      var link = row.querySelector("a[data-detail]");
      if (link) link.focus();  // back where the keyboard user was
    }
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") closeDetail();
  });

  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("button[data-post]");
    if (el) { ev.preventDefault(); act(el); return; }
    el = ev.target.closest("button[data-copy]");
    if (el) { ev.preventDefault(); copy(el); return; }
    el = ev.target.closest("a[data-detail]");
    if (el && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey) { ev.preventDefault(); openDetail(el); }
  });

  // -- live traffic -----------------------------------------------------------------------------
  var table = document.getElementById("traffic");
  if (table) {
    var body = table.tBodies[0];
    var cursor = table.getAttribute("data-cursor") || "0";
    var epoch = table.getAttribute("data-epoch") || "";
    var filters = table.getAttribute("data-filters") || "";
    var max = Number(table.getAttribute("data-max") || "200");
    var paused = false;
    var pause = document.getElementById("pause");
    if (pause) {
      pause.addEventListener("click", function () {
        paused = !paused;  // rows stop moving under the pointer; the cursor keeps its place
        pause.setAttribute("aria-pressed", paused ? "true" : "false");
        pause.textContent = pause.getAttribute(paused ? "data-resume" : "data-pause");
      });
    }
    var poll = function () {
      if (document.hidden || paused) { setTimeout(poll, POLL_MS); return; }
      var url = "/_mock/ui/traffic?after=" + encodeURIComponent(cursor) + "&epoch=" +
        encodeURIComponent(epoch) + (filters ? "&" + filters : "");
      fetch(url, {credentials: "same-origin"})
        .then(function (res) { if (!res.ok) throw new Error("HTTP " + res.status); return res.json(); })
        .then(function (data) {
          cursor = String(data.cursor);
          epoch = String(data.epoch);
          if (data.reset) {  // the mock restarted: its numbers start over, the rows held are another run's
            while (body.rows.length) body.deleteRow(0);
          }
          if (data.count) {
            var empty = body.querySelector("tr.empty");
            if (empty) empty.remove();
            body.insertAdjacentHTML("afterbegin", data.rows);
            while (body.rows.length > max) body.deleteRow(body.rows.length - 1);
            if (data.cut) {  // more arrived than one answer carries: say so where they would be
              var gap = document.createElement("tr"), cell = document.createElement("td");
              var link = document.createElement("a");
              gap.className = "gap";
              cell.colSpan = 8;
              link.href = "/_mock/ui?before=" + encodeURIComponent(data.oldest) + (filters ? "&" + filters : "");
              link.textContent = table.getAttribute("data-skipped") || "older";
              cell.appendChild(link);
              gap.appendChild(cell);
              var afterBatch = body.rows[data.count] || null;
              body.insertBefore(gap, afterBatch);
            }
          }
        })
        .catch(function () { /* the mock restarted or went away: keep trying */ })
        .then(function () { setTimeout(poll, POLL_MS); });
    };
    setTimeout(poll, POLL_MS);
  }
})();
