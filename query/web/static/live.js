// The live part of the schema changes feed. It subscribes to `schemaChanges` over the
// node's own graphql-transport-ws WebSocket (the session cookie goes with the
// handshake) and puts each new change on top of the table. Rows are built with DOM
// calls and textContent only: hostile text is never parsed as HTML.
(function () {
  "use strict";
  var table = document.getElementById("changes");
  var status = document.getElementById("live");
  if (!table || table.getAttribute("data-live") !== "1") return;
  var source = table.hasAttribute("data-source") ? table.getAttribute("data-source") : null;
  var body = table.tBodies[0];
  var QUERY =
    "subscription ($source: String) { schemaChanges(source: $source) " +
    "{ id source type event path kind observedType fromType toType version at } }";
  var delay = 1000;

  function show(state, label) {
    if (!status) return;
    status.setAttribute("data-state", state);
    status.querySelector(".label").textContent = label;
  }

  function link(path, params) {
    var query = [];
    for (var i = 0; i < params.length; i += 2) {
      if (params[i + 1] !== null && params[i + 1] !== undefined) {
        query.push(encodeURIComponent(params[i]) + "=" + encodeURIComponent(params[i + 1]));
      }
    }
    return path + (query.length ? "?" + query.join("&") : "");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function anchor(href, text) {
    var a = el("a", null, text);
    a.href = href;
    return a;
  }

  function chip(type) {
    return type ? el("span", "type t-" + type.toLowerCase(), type) : el("span", "type t-none", "—");
  }

  function cell(className) {
    var children = Array.prototype.slice.call(arguments, 1);
    var td = el("td", className);
    children.forEach(function (child) {
      td.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return td;
  }

  function row(c) {
    var type = c.type.toLowerCase();
    var schema = ["source", c.source, "type", type, "event", type === "track" ? c.event : null];
    var at = new Date(c.at);
    var time = el("time", null, at.toISOString().slice(0, 19).replace("T", " "));
    time.setAttribute("datetime", at.toISOString().slice(0, 19) + "Z");
    var label = document.createDocumentFragment();
    label.appendChild(el("span", "call", type));
    if (c.event !== null && type === "track") {
      label.appendChild(document.createTextNode(" "));
      label.appendChild(el("span", "event", c.event));
    }
    var name = anchor(link("/schema", schema), "");
    name.appendChild(label);
    var kind = el("span", "kind k-" + c.kind.toLowerCase(), c.kind.replace(/_/g, " ").toLowerCase());
    var tr = el("tr", c.kind === "TYPE_CONFLICT" || c.kind === "VIOLATION" ? "trouble fresh" : "fresh");
    tr.setAttribute("data-id", c.id);
    [
      cell("nowrap", time),
      cell(null, anchor(link("/schemas", ["source", c.source]), c.source)),
      cell(null, name),
      cell("path", anchor(link("/column", schema.concat(["path", c.path])), c.path)),
      cell(null, kind),
      cell(null, chip(c.observedType)),
      cell("nowrap", chip(c.fromType), " → ", chip(c.toType)),
      cell("num", anchor(link("/schema", schema.concat(["from", c.version - 1, "to", c.version])), "v" + c.version)),
    ].forEach(function (td) { tr.appendChild(td); });
    return tr;
  }

  function add(change) {
    if (body.querySelector('tr[data-id="' + change.id.replace(/[^0-9a-f]/g, "") + '"]')) return;
    body.insertBefore(row(change), body.firstChild);
    var empty = document.getElementById("no-changes");
    if (empty) empty.remove();
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/graphql", "graphql-transport-ws");
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: "connection_init", payload: {} }));
    };
    ws.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        delay = 1000;
        show("live", "live");
        ws.send(JSON.stringify({
          id: "changes", type: "subscribe",
          payload: { query: QUERY, variables: { source: source } },
        }));
      } else if (message.type === "next" && message.payload && message.payload.data) {
        add(message.payload.data.schemaChanges);
      } else if (message.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
      }
    };
    ws.onclose = function (event) {
      if (event.code === 4403) {
        show("closed", "sign in again for live changes");
        return;
      }
      show("closed", "reconnecting…");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  connect();
})();
