/* Autosave for the proposal form's steps (progressive enhancement: without
   this script the buttons still save everything).

   - A couple of seconds after typing stops, and when the page is hidden or
     left (visibilitychange / pagehide, with navigator.sendBeacon), the
     step's fields are posted as typed, with the page's CSRF token, to the
     step's autosave endpoint. The server keeps them whatever the validation
     says, so the step page shows them again when it is reopened.
   - A quiet status line says 「下書きを保存しました HH:MM」 (aria-live=polite).
   - Every save carries an id; the server remembers the last one per step
     (a button save gets a new id of the server's) and the page says which
     it is (data-save-id). When a save cannot reach the server (the session
     expired, the person signed out in another tab, the network is down),
     or the page is left, what was typed is kept in localStorage together
     with the ids the server may have at that moment. When the step page
     opens again and the server's id is one of them (nothing newer was
     saved since, from here or elsewhere), the fields are filled from that
     copy and saved; otherwise the copy is forgotten. Pages of the draft
     without a form (files, review) forget superseded copies too, and any
     copy is forgotten after a week. */
(function () {
  "use strict";

  var PREFIX = "intake-draft:";
  var WEEK = 7 * 24 * 3600 * 1000;
  var DELAY = 2000;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function readCopy(store, key) {
    try { return JSON.parse(store.getItem(key)); } catch (e) { return null; }
  }

  function forget(key) {
    var store = storage();
    try { if (store) { store.removeItem(key); } } catch (e) { /* nothing kept anyway */ }
  }

  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // serverIds: {step: id of the server's last save} for this draft.
  function sweep(draftId, serverIds) {
    var store = storage();
    if (!store) { return; }
    var now = Date.now(), stale = [], mine = PREFIX + draftId + ":";
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (!key || key.indexOf(PREFIX) !== 0) { continue; }
      var copy = readCopy(store, key);
      if (!copy || !copy.chain || now - (copy.at || 0) > WEEK) { stale.push(key); continue; }
      if (key.indexOf(mine) === 0) {
        var step = key.slice(mine.length);
        if (copy.chain.indexOf(serverIds[step] || "") === -1) { stale.push(key); }
      }
    }
    stale.forEach(forget);
  }

  // Every page of a draft that loads this script carries the server's save ids
  // and a URL of the draft (/proposals/<id>/…), which names the draft.
  var marker = document.querySelector("[data-intake-sweep], form[data-autosave-url]");
  if (!marker) { return; }
  var path = marker.getAttribute("data-autosave-url") || marker.getAttribute("data-draft-url") || "";
  var found = /\/proposals\/(\d+)\/(?:step\/(\d+)\/)?/.exec(path);
  if (!found) { return; }
  var draftId = found[1], step = found[2];
  var ids = {};
  try { ids = JSON.parse(marker.getAttribute("data-save-ids") || "{}"); } catch (e) { ids = {}; }
  sweep(draftId, ids);

  var form = marker.tagName === "FORM" ? marker : null;
  if (!form || !step || !window.FormData || !window.fetch) { return; }

  var url = form.getAttribute("data-autosave-url");
  var key = PREFIX + draftId + ":" + step;
  var confirmed = form.getAttribute("data-save-id") || "";  // what the server has for this step
  var pending = [];  // ids sent by beacon since, which may or may not have arrived
  var status = document.getElementById("autosave-status");
  var timer = null, dirty = false, inFlight = false, again = false, leaving = false, conflict = false;

  function say(name, time) {
    if (status) { status.textContent = (status.getAttribute(name) || "").replace("__TIME__", time || ""); }
  }

  function fieldNames() {
    var names = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.name !== "csrf_token" && el.name !== "action" && el.type !== "file") { names[el.name] = true; }
    });
    return Object.keys(names);
  }

  function values() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") { pairs.push([name, value]); }
    });
    return pairs;
  }

  function body(id) {
    var data = new FormData(form);
    data.append("autosave_id", id);
    data.append("autosave_base", confirmed);  // refused if a button saved something newer meanwhile
    return data;
  }

  // Keep what may not be on the server, with the ids the server may have meanwhile.
  function keepCopy(extra) {
    var store = storage();
    if (!store) { return; }
    try {
      store.setItem(key, JSON.stringify({
        chain: [confirmed].concat(pending, extra || []), at: Date.now(), names: fieldNames(), values: values()
      }));
    } catch (e) { /* full or refused: nothing more can be done here */ }
  }

  function restore(copy) {
    var byName = {};
    copy.values.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    copy.names.forEach(function (name) {
      var wanted = byName[name] || [];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name !== name) { return; }
        if (el.type === "checkbox" || el.type === "radio") {
          el.checked = wanted.indexOf(el.value) !== -1;
        } else if (el.type !== "file") {
          el.value = wanted.length ? wanted[0] : "";
        }
      });
    });
  }

  function save() {
    timer = null;
    if (!dirty) { return; }
    if (inFlight) { again = true; return; }
    dirty = false;
    inFlight = true;
    var id = newId();
    fetch(url, { method: "POST", body: body(id), credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 409) { conflict = true; }
        if (!response.ok) { throw new Error("autosave " + response.status); }
        return response.json();
      })
      .then(function (answer) {
        confirmed = answer.save_id;
        pending = [];
        if (dirty) { keepCopy(); } else { forget(key); }
        say("data-saved", answer.saved_at);
      })
      .catch(function () {
        if (conflict) {  // saved from elsewhere: this page is out of date
          dirty = false;
          say("data-conflict");
          return;
        }
        dirty = true;  // tried again after the next change; kept here meanwhile
        keepCopy();
        say("data-failed");
      })
      .then(function () {
        inFlight = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    if (conflict) { return; }
    dirty = true;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, DELAY);
  }

  // The page is hidden or going away: a save that outlives the page.
  function flush() {
    if (!dirty || leaving || conflict) { return; }
    if (timer) { clearTimeout(timer); timer = null; }
    var id = newId();
    keepCopy([id]);  // forgotten once the server is seen to have it (or something newer)
    pending.push(id);
    if (navigator.sendBeacon && navigator.sendBeacon(url, body(id))) { dirty = false; }
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function () {
    // The buttons post everything themselves; keep a copy in case that post is refused.
    if (timer) { clearTimeout(timer); timer = null; }
    if (dirty) { keepCopy(); }
    leaving = true;
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); }
  });
  window.addEventListener("pagehide", flush);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { leaving = false; }  // back from the back-forward cache: live again
  });

  // Opening the step: bring back what this browser kept and the server does not have.
  var store = storage();
  var copy = store && readCopy(store, key);
  if (copy && copy.chain && copy.names && copy.values) {
    var before = JSON.stringify(values());
    if (copy.chain.indexOf(confirmed) !== -1) { restore(copy); }
    if (JSON.stringify(values()) !== before) {
      say("data-restored");
      dirty = true;
      save();
    } else {
      forget(key);
    }
  }
})();
