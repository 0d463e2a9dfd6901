// The session page's script. Every value from the session is put into the page
// with textContent (or a CSSOM width), never as markup: event text is untrusted.
// Rows are built in chunks as they scroll into view, so large sessions open fast.
(function () {
  "use strict";
  var CHUNK = 150;
  var CLIP = 400;
  var data = JSON.parse(document.getElementById("session-data").textContent);
  var session = data.session;
  var events = data.events;
  var tools = data.tools;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function json(value) {
    try {
      return JSON.stringify(value);
    } catch (err) {
      return String(value);
    }
  }

  // A long value shows its start and a button that shows the rest.
  function clipped(className, text) {
    var node = el("div", className);
    if (text.length <= CLIP) {
      node.textContent = text;
      return node;
    }
    var body = el("span", null, text.slice(0, CLIP) + "…");
    var more = el("button", "more", "show all (" + text.length + " characters)");
    more.type = "button";
    more.addEventListener("click", function () {
      body.textContent = text;
      more.remove();
    });
    node.append(body, more);
    return node;
  }

  function clock(t) {
    return new Date(t * 1000).toISOString().slice(11, 23);
  }

  function seconds(s) {
    if (s === null || s === undefined) return "no answer";
    if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 1 : 0) + " ms";
    return s.toFixed(2) + " s";
  }

  // Turns (invocations) in order of their first event; Maps, so no id can reach a prototype.
  var turns = new Map();
  events.forEach(function (e) {
    var turn = turns.get(e.inv);
    if (!turn) {
      turn = { n: turns.size + 1, id: e.inv, start: e.t, end: e.t, events: 0, agents: [] };
      turns.set(e.inv, turn);
    }
    turn.start = Math.min(turn.start, e.t);
    turn.end = Math.max(turn.end, e.t);
    turn.events += 1;
    if (turn.agents.indexOf(e.author) < 0) turn.agents.push(e.author);
  });
  tools.forEach(function (call) {
    var turn = turns.get(call.invocation_id);
    if (turn && call.end !== null) turn.end = Math.max(turn.end, call.end);
  });

  var agentColours = new Map();
  function agentClass(name) {
    if (name === "user") return "agent-user";
    if (!agentColours.has(name)) agentColours.set(name, agentColours.size % 8);
    return "agent-" + agentColours.get(name);
  }

  function failed(e) {
    return Boolean(
      e.error || e.problem || (e.results || []).some(function (r) { return r.failed; })
    );
  }

  function count(id, n) {
    document.getElementById(id).textContent = String(n);
  }
  var stateChanges = events.reduce(function (n, e) {
    return n + Object.keys(e.state || {}).length;
  }, 0);
  count("count-turns", turns.size);
  count("count-events", events.length);
  count("count-tools", tools.length);
  count("count-errors", events.filter(failed).length);
  count("count-state", stateChanges);
  count("count-artifacts", data.artifacts.length);

  // --- lazily built lists ---------------------------------------------------------

  function LazyList(container, sentinel, render) {
    var self = this;
    this.container = container;
    this.sentinel = sentinel;
    this.render = render;
    this.items = [];
    this.shown = 0;
    this.observer = new IntersectionObserver(
      function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) self.more();
      },
      { rootMargin: "1200px 0px" }
    );
    this.observer.observe(sentinel);
  }
  LazyList.prototype.reset = function (items) {
    this.container.replaceChildren();
    this.items = items;
    this.shown = 0;
    this.more();
  };
  LazyList.prototype.more = function () {
    if (this.shown >= this.items.length) return;
    var fragment = document.createDocumentFragment();
    var end = Math.min(this.items.length, this.shown + CHUNK);
    for (var i = this.shown; i < end; i++) {
      this.render(fragment, this.items[i], i > 0 ? this.items[i - 1] : null);
    }
    this.container.appendChild(fragment);
    this.shown = end;
    // Observe again: if the sentinel is still in view, the observer fires once more.
    this.observer.unobserve(this.sentinel);
    this.observer.observe(this.sentinel);
  };

  function turnHeader(parent, invocation, what) {
    var turn = turns.get(invocation);
    var header = el("div", "turn");
    header.setAttribute("role", "listitem");
    header.append(
      el("span", "turn-n", "Turn " + (turn ? turn.n : "?")),
      el("span", "mono muted", invocation)
    );
    if (turn) {
      header.append(
        el("span", "muted", clock(turn.start) + " UTC · " + seconds(turn.end - turn.start)),
        el("span", "muted", turn.events + " events · " + what + turn.agents.join(", "))
      );
    }
    parent.appendChild(header);
  }

  // --- the timeline -----------------------------------------------------------------

  function renderEvent(parent, e, previous) {
    var newTurn = !previous || previous.inv !== e.inv;
    if (newTurn) turnHeader(parent, e.inv, "");
    if (e.author !== "user" && (newTurn || previous.author !== e.author)) {
      var agent = el("div", "agent-header " + agentClass(e.author), "agent " + e.author);
      if (e.branch) agent.appendChild(el("span", "muted", " · branch " + e.branch));
      parent.appendChild(agent);
    }
    var row = el("div", "event " + agentClass(e.author) + (failed(e) ? " failed" : ""));
    row.setAttribute("role", "listitem");
    row.dataset.seq = String(e.seq);
    var turn = turns.get(e.inv);
    var when = el("div", "when");
    when.append(
      el("div", "mono", clock(e.t)),
      el("div", "muted", "+" + seconds(turn ? e.t - turn.start : 0) + " · #" + e.seq)
    );
    var body = el("div", "body");
    body.appendChild(el("div", "author", e.author));
    (e.texts || []).forEach(function (text) { body.appendChild(clipped("text", text)); });
    (e.thoughts || []).forEach(function (text) {
      body.appendChild(clipped("thought", "(thought) " + text));
    });
    (e.calls || []).forEach(function (call) {
      body.appendChild(clipped("call", "→ " + call.name + "(" + json(call.args) + ")"));
    });
    (e.results || []).forEach(function (result) {
      var mark = result.failed ? "✗ " : "← ";
      body.appendChild(
        clipped(result.failed ? "result bad" : "result", mark + result.name + ": " + json(result.response))
      );
    });
    (e.other || []).forEach(function (text) { body.appendChild(clipped("muted", text)); });
    if (e.error) {
      var detail = [e.error.code, e.error.message].filter(Boolean).join(": ");
      body.appendChild(clipped("error", "✗ error " + detail));
    }
    Object.keys(e.state || {}).forEach(function (key) {
      var change = el("div", "state-change");
      change.append(el("span", "key", key), el("span", null, " = "));
      change.appendChild(clipped("value", json(e.state[key])));
      body.appendChild(change);
    });
    if (e.transfer) body.appendChild(el("div", "transfer", "⇒ transfer to " + e.transfer));
    if (e.escalate) body.appendChild(el("div", "transfer", "↑ escalate"));
    Object.keys(e.artifacts || {}).forEach(function (name) {
      body.appendChild(
        el("div", "artifact", "⇣ saved artifact " + name + " (version " + e.artifacts[name] + ")")
      );
    });
    if (e.problem) body.appendChild(clipped("error", "! " + e.problem));
    row.append(when, body);
    parent.appendChild(row);
  }

  // --- the waterfall ----------------------------------------------------------------

  function renderCall(parent, call, previous) {
    if (!previous || previous.invocation_id !== call.invocation_id) {
      turnHeader(parent, call.invocation_id, "");
    }
    var turn = turns.get(call.invocation_id);
    var row = el("div", "call-row " + call.status);
    row.setAttribute("role", "listitem");
    var label = el("div", "call-label");
    label.append(el("b", null, call.name), el("span", "muted", " · " + call.author));
    var track = el("div", "track");
    var bar = el("div", "bar");
    var span = turn ? turn.end - turn.start : 0;
    var left = span > 0 ? (call.start - turn.start) / span : 0;
    var width = span > 0 && call.duration !== null ? call.duration / span : 0;
    bar.style.left = (left * 100).toFixed(3) + "%";
    bar.style.width = Math.max(width * 100, 0.6).toFixed(3) + "%";
    track.appendChild(bar);
    var outcome = call.status === "ok" ? "" : call.status === "error" ? " ✗ " : " … ";
    var duration = el("div", "duration", seconds(call.duration) + outcome);
    row.append(label, track, duration);
    if (call.error) row.appendChild(clipped("error call-error", call.error));
    parent.appendChild(row);
  }

  // --- artifacts and state -------------------------------------------------------------

  function table(headings, rows) {
    var node = el("table");
    var head = el("tr");
    headings.forEach(function (h) { head.appendChild(el("th", null, h)); });
    node.appendChild(head);
    rows.forEach(function (cells) {
      var tr = el("tr");
      cells.forEach(function (cell) {
        var td = el("td");
        td.appendChild(clipped("cell", String(cell)));
        tr.appendChild(td);
      });
      node.appendChild(tr);
    });
    return node;
  }

  function renderArtifacts() {
    var listed = new Set();
    var rows = data.artifacts.map(function (a) {
      listed.add(a.name);
      return [a.name, a.scope, a.versions, "v" + a.latest, a.mime || "", a.size + " bytes",
        new Date(a.saved * 1000).toISOString()];
    });
    events.forEach(function (e) {
      Object.keys(e.artifacts || {}).forEach(function (name) {
        if (listed.has(name)) return;
        listed.add(name);
        rows.push([name, "", "", "v" + e.artifacts[name], "", "not in this store", ""]);
      });
    });
    var target = document.getElementById("artifact-list");
    if (!rows.length) {
      target.appendChild(el("p", "muted", "No artifacts."));
      return;
    }
    target.appendChild(
      table(["Name", "Scope", "Versions", "Latest", "Type", "Size", "Saved (UTC)"], rows)
    );
  }

  function renderState() {
    var keys = Object.keys(session.state);
    var target = document.getElementById("state-list");
    if (!keys.length) {
      target.appendChild(el("p", "muted", "Empty."));
      return;
    }
    target.appendChild(
      table(["Key", "Value"], keys.map(function (k) { return [k, json(session.state[k])]; }))
    );
  }

  // --- search ---------------------------------------------------------------------------

  function haystack(e) {
    if (e._text === undefined) {
      e._text = [
        e.author, e.inv, e.branch || "", (e.texts || []).join("\n"),
        (e.thoughts || []).join("\n"), json(e.calls || []), json(e.results || []),
        json(e.state || {}), e.error ? json(e.error) : "", json(e.artifacts || {}),
        e.transfer || "", (e.other || []).join("\n"), e.problem || ""
      ].join("\n").toLowerCase();
    }
    return e._text;
  }

  var timeline = new LazyList(
    document.getElementById("events"), document.getElementById("events-more"), renderEvent
  );
  var waterfall = new LazyList(
    document.getElementById("tools"), document.getElementById("tools-more"), renderCall
  );
  var search = document.getElementById("search");
  var errorsOnly = document.getElementById("errors-only");

  function applyFilter() {
    var query = search.value.trim().toLowerCase();
    var onlyErrors = errorsOnly.checked;
    var shown = events.filter(function (e) {
      return (!onlyErrors || failed(e)) && (!query || haystack(e).indexOf(query) >= 0);
    });
    var calls = tools.filter(function (call) {
      if (onlyErrors && call.status !== "error") return false;
      if (!query) return true;
      return (call.name + "\n" + call.author + "\n" + json(call.args) + "\n" + (call.error || ""))
        .toLowerCase().indexOf(query) >= 0;
    });
    timeline.reset(shown);
    waterfall.reset(calls);
    document.getElementById("match-count").textContent =
      query || onlyErrors ? shown.length + " of " + events.length + " events" : "";
  }

  var pending = null;
  search.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(applyFilter, events.length > 2000 ? 120 : 0);
  });
  errorsOnly.addEventListener("change", applyFilter);

  renderArtifacts();
  renderState();
  applyFilter();
  // Time from navigation start to the first rows in the page, for tests and benchmarks.
  window.sessionViewFirstRenderMs = performance.now();
  document.documentElement.dataset.rendered = "true";
})();
