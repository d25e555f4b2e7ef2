// The page's own script, small on purpose; htmx and hx-ws do the rest.
// - a connection indicator for live regions ("live" / "reconnecting…")
// - countdowns that tick between pushes, and an Undo offer that goes when its time is up
// - a participant's answers kept across pushed question regions and reconnects (localStorage)
// - a new Idempotency-Key on every write a page sends
// - a multiple-choice ballot that takes no more ticks than its question allows; a ranking reordered by its
//   up and down buttons or by dragging
// - a form marked data-reset-after-success emptied once the server took it (the control view's new question)
// - a single poll's ballot that follows the poll's state (closed, open again) from its pushed results
// - a Copy button (data-copy): the text to the clipboard, and its data-copied message beside it
// - keyboard focus kept across a pushed region (the same option, button or field), and a new question said
//   to screen readers
// - the Q&A questions this phone upvoted, marked again on each pushed list (localStorage)
(function () {
  "use strict";
  var texts = {
    en: { live: "live", reconnecting: "reconnecting…", gone: "this no longer exists", closes: "closes in {s} s", closing: "closing…" },
    de: { live: "live", reconnecting: "verbinde neu…", gone: "existiert nicht mehr", closes: "schließt in {s} s", closing: "schließt…" },
  };
  function t(key) {
    var lang = (document.documentElement.lang || "en").slice(0, 2);
    return (texts[lang] || texts.en)[key];
  }

  // --- connection indicator ---
  function show(state, key) {
    var el = document.querySelector(".live-indicator");
    if (!el) return;
    el.dataset.live = state;
    el.textContent = t(key);
  }
  document.addEventListener("htmx:ws:after:connection", function () {
    show("on", "live");
  });
  document.addEventListener("htmx:ws:close", function (event) {
    var detail = event.detail || {};
    if (detail.reason === "removed") return;
    if (detail.code === 4404 || detail.code === 4403) show("off", "gone");
    else show("reconnecting", "reconnecting");
  });

  // --- countdowns: the server says when voting closes on the database's clock (data-closes-at, ms); the
  // phone measures its own clock's offset to it (GET /api/time, the sample with the shortest round trip of a
  // few, its midpoint), so every phone counts to the same moment, however late a push reached it ---
  var offset = 0;  // the database's clock minus this phone's, in ms
  function measure() {
    var url = document.body.dataset.timeUrl, best = Infinity, samples = 0;
    if (!url || !window.fetch) return;
    (function sample() {
      var sent = Date.now();
      fetch(url, { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (body) {
        var received = Date.now();
        if (received - sent < best) { best = received - sent; offset = body.now - (sent + received) / 2; }
        document.body.dataset.clockOffset = String(Math.round(offset));
        if (++samples < 5) sample();
      }).catch(function () { /* the next reconnect measures again */ });
    })();
  }
  measure();
  document.addEventListener("htmx:ws:after:connection", measure);
  function tick() {
    document.querySelectorAll(".countdown[data-closes-at]").forEach(function (el) {
      var left = Number(el.dataset.closesAt) - (Date.now() + offset);
      el.dataset.deadline = String(Math.round(Number(el.dataset.closesAt) - offset));
      el.textContent = left > 0 ? t("closes").replace("{s}", String(Math.ceil(left / 1000))) : t("closing");
    });
  }
  setInterval(tick, 250);
  function expire() {
    document.querySelectorAll("[data-expires-in]").forEach(function (el) {
      if (!el.dataset.seenAt) el.dataset.seenAt = String(Date.now());
      if (Date.now() - Number(el.dataset.seenAt) >= Number(el.dataset.expiresIn)) el.remove();
    });
  }
  setInterval(expire, 250);

  // --- a participant's answers, remembered per question and round, re-applied to each pushed region ---
  function key(question, round) {
    return "polls:answer:" + question + ":" + round;
  }
  function store(question, round, choices) {
    try { localStorage.setItem(key(question, round), choices); } catch (e) { /* private mode */ }
  }
  function stored(question, round) {
    try { return localStorage.getItem(key(question, round)); } catch (e) { return null; }
  }
  // An answer is kept as a JSON array of its values (texts may hold commas); older ones were joined by commas.
  function values(answer) {
    try {
      var parsed = JSON.parse(answer);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch (e) { /* a comma-joined answer */ }
    return answer.split(",");
  }
  // A choice made but not sent yet survives a push of the same question (other people's answers arrive).
  // An answer is the values the server stores: the ticked options' ids, or (inputs marked
  // data-answer-index, a scale's) one value per statement in order, or (fields marked data-answer-text, a
  // word cloud's or an open text's) the texts typed, in order.
  var unsent = null;
  function answerOf(region) {
    var list = region.querySelector(".rank-list");
    if (list) {
      var ranked = Number(list.closest("fieldset").dataset.ranked);
      return Array.prototype.map.call(list.querySelectorAll("input[name=ranking]"), function (i) { return i.value; }).slice(0, ranked);
    }
    var texts = region.querySelectorAll("[data-answer-text]");
    if (texts.length) return Array.prototype.map.call(texts, function (field) { return field.value; });
    var ranked = region.querySelectorAll("input[data-answer-index]:checked");
    if (region.querySelector("input[data-answer-index]")) {
      var values = [];
      ranked.forEach(function (input) { values[Number(input.dataset.answerIndex)] = input.value; });
      return Array.prototype.map.call(values, function (v) { return v || ""; });
    }
    return Array.prototype.map.call(region.querySelectorAll("input[name=option]:checked"), function (i) { return i.value; });
  }
  function rememberUnsent() {
    var region = document.querySelector(".participant-question[data-question]");
    if (!region) { unsent = null; return; }
    unsent = { question: region.dataset.question, round: region.dataset.round, values: answerOf(region) };
  }
  function check(region, values) {
    var list = region.querySelector(".rank-list");
    if (list) {  // a ranking: its stored order first, the rest as they are
      values.slice().reverse().forEach(function (id) {
        var item = list.querySelector('.rank-item[data-option="' + id + '"]');
        if (item) list.insertBefore(item, list.firstElementChild);
      });
      renumber(list);
      return;
    }
    region.querySelectorAll("[data-answer-text]").forEach(function (field, i) {
      field.value = i < values.length ? values[i] : "";
    });
    region.querySelectorAll("input[data-answer-index]").forEach(function (input) {
      input.checked = values[Number(input.dataset.answerIndex)] === input.value;
    });
    region.querySelectorAll("input[name=option]").forEach(function (input) {
      input.checked = values.indexOf(input.value) !== -1;
    });
  }
  function restore() {
    var region = document.querySelector(".participant-question[data-question]");
    var status = document.getElementById("vote-status");
    var received = status && status.querySelector("[data-voted]");
    if (received) store(received.dataset.voted, received.dataset.round, received.dataset.choices || "");
    if (!region) {
      if (status) status.innerHTML = "";
      return;
    }
    var question = region.dataset.question, round = region.dataset.round;
    if (received && (received.dataset.voted !== question || received.dataset.round !== round)) {
      status.innerHTML = "";  // the answer was to another question, or to an earlier round
      received = null;
    }
    var answer = stored(question, round);
    if (answer !== null) {
      region.classList.add("voted");
      check(region, values(answer));
      var button = region.querySelector("button[data-change-label]");
      if (button) button.textContent = button.dataset.changeLabel;
      // While voting is open the answer may still change; once it closed, the notice says so instead. A
      // quiz's answer (data-final) is locked in once sent.
      var final = region.hasAttribute("data-final");
      if (final) {
        region.querySelectorAll("fieldset").forEach(function (f) { f.disabled = true; });
        if (button) button.hidden = true;
      }
      var open = region.querySelector('.question-state[data-status="open"]') !== null;
      var locked = final && open;  // once voting closed, a quiz's notice is every question's
      var state = locked ? "final" : open ? "open" : "closed";
      var template = document.getElementById(locked ? "answer-locked" : open ? "answer-received" : "answer-final");
      var shown = received && received.dataset.state === state;
      if (status && !shown && template) {
        status.innerHTML = template.innerHTML;
        var notice = status.firstElementChild;
        if (notice) {
          notice.dataset.voted = question;
          notice.dataset.round = round;
          notice.dataset.choices = answer;
          notice.dataset.state = state;
        }
      }
    }
    if (unsent && unsent.question === question && unsent.round === round) check(region, unsent.values);
  }
  // --- a ranking: the up and down buttons (keyboard, screen readers) and dragging by the handle reorder the
  // list; its hidden inputs follow, so the form sends the order; the top places count ---
  function renumber(list) {
    var ranked = Number(list.closest("fieldset").dataset.ranked);
    list.querySelectorAll(".rank-item").forEach(function (item, i) {
      item.querySelector(".place").textContent = String(i + 1);
      item.classList.toggle("unranked", i >= ranked);
    });
  }
  function announcePlace(item) {
    var fieldset = item.closest("fieldset");
    var announcer = fieldset && fieldset.querySelector("[data-rank-announcer]");
    if (!announcer) return;
    var place = Array.prototype.indexOf.call(item.parentElement.children, item) + 1;
    announcer.textContent = announcer.dataset.placeText
      .replace("{option}", item.querySelector(".label").textContent)
      .replace("{place}", String(place));
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".rank-item button[data-move]");
    if (!button || button.closest("fieldset").disabled) return;
    var item = button.closest(".rank-item"), list = item.parentElement;
    var up = Number(button.dataset.move) < 0;
    var other = up ? item.previousElementSibling : item.nextElementSibling;
    if (!other) return;
    list.insertBefore(up ? item : other, up ? other : item);
    renumber(list);
    button.focus();
    announcePlace(item);
  });
  var dragged = null;
  document.addEventListener("pointerdown", function (event) {
    var handle = event.target.closest && event.target.closest(".rank-item .handle");
    if (!handle || handle.closest("fieldset").disabled) return;
    dragged = handle.closest(".rank-item");
    dragged.classList.add("dragging");
    handle.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  document.addEventListener("pointermove", function (event) {
    if (!dragged) return;
    var list = dragged.parentElement;
    Array.prototype.some.call(list.children, function (item) {
      var box = item.getBoundingClientRect();
      if (item === dragged || event.clientY < box.top || event.clientY > box.bottom) return false;
      list.insertBefore(dragged, event.clientY < box.top + box.height / 2 ? item : item.nextElementSibling);
      renumber(list);
      return true;
    });
  });
  function drop() {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    announcePlace(dragged);
    dragged = null;
  }
  document.addEventListener("pointerup", drop);
  document.addEventListener("pointercancel", drop);

  // --- every write a page sends carries a new Idempotency-Key: a repeat of it (HAProxy's, when a replica
  // died between its commit and its answer) gets the first answer instead of doing the write again.
  // crypto.getRandomValues, not randomUUID: phones reach a venue's server over plain http too. ---
  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  document.addEventListener("htmx:config:request", function (event) {
    var request = event.detail && event.detail.ctx && event.detail.ctx.request;
    if (request && String(request.method).toUpperCase() !== "GET" && !request.headers["Idempotency-Key"]) {
      request.headers["Idempotency-Key"] = newKey();
    }
  });

  // --- "up to N": once N boxes are ticked, the others cannot be, until one is unticked (the server refuses
  // more anyway; this keeps a phone from sending a ballot it would have to fix) ---
  function limitChoices() {
    document.querySelectorAll("fieldset[data-max-choices]").forEach(function (fieldset) {
      var max = Number(fieldset.dataset.maxChoices);
      var boxes = fieldset.querySelectorAll("input[type=checkbox][name=option]");
      var ticked = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
      boxes.forEach(function (box) {
        box.disabled = fieldset.disabled || (!box.checked && ticked >= max);
      });
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "option") limitChoices();
  });

  document.addEventListener("htmx:after:request", function (event) {
    var form = event.target && event.target.closest && event.target.closest("form[data-reset-after-success]");
    var ctx = event.detail && event.detail.ctx;
    if (form && ctx && ctx.response && ctx.response.status < 400) form.reset();
  });

  // The phone's socket pushes the poll's results; only their state is read, none of it is put on the page.
  function followPollState(event) {
    var region = event.target;
    if (!region || !region.classList || !region.classList.contains("poll-state")) return;
    var detail = event.detail || {};
    var data = detail.message && detail.message.data;
    detail.cancelled = true;
    var ballot = document.getElementById("ballot");
    if (typeof data !== "string" || !ballot || !ballot.dataset.status) return;
    var state = /class="results[^"]*\bis-closed\b/.test(data) ? "closed" : "open";
    if (ballot.dataset.status === state) return;
    ballot.dataset.status = state;
    ballot.querySelectorAll("fieldset").forEach(function (fieldset) { fieldset.disabled = state === "closed"; });
    var error = document.getElementById("ballot-error");
    if (error) error.remove();
    limitChoices();
  }

  // --- copy: the clipboard API where the page is a secure context, else the older copy command ---
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr-only";
    document.body.appendChild(area);
    area.select();
    var copied = document.execCommand("copy");
    area.remove();
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var status = button.parentNode.querySelector("[role=status]");
    var text = button.dataset.copy;
    if (button.dataset.copyToken) text += (text.indexOf("?") === -1 ? "?" : "&") + "token=" + encodeURIComponent(button.dataset.copyToken);
    copyText(text).then(function () {
      if (status) status.textContent = button.dataset.copied;
    });
  });

  // --- focus: a push replaces the region's elements; the one that had focus gets it back ---
  var focused = null;
  function rememberFocus(event) {
    var element = document.activeElement;
    var region = event.target;
    focused = null;
    if (!element || !region || !region.contains || !region.contains(element) || element === region) return;
    if (element.hasAttribute("data-answer-text")) {  // typing: the same field, where the caret was
      var fields = Array.prototype.slice.call(region.querySelectorAll("[data-answer-text]"));
      typing = { index: fields.indexOf(element), start: element.selectionStart, end: element.selectionEnd };
    } else if (element.id) focused = "#" + CSS.escape(element.id);
    else if (element.name && element.value !== undefined && element.type !== "hidden") {
      focused = element.tagName.toLowerCase() + '[name="' + CSS.escape(element.name) + '"][value="' + CSS.escape(element.value) + '"]';
    } else if (element.tagName === "BUTTON") focused = "button[type=" + (element.type || "submit") + "]";
  }
  var typing = null;
  function restoreTyping(event) {  // after restore(), which put the typed texts back
    var was = typing;
    typing = null;
    if (!was || !event.target || !event.target.querySelectorAll) return;
    var field = event.target.querySelectorAll("[data-answer-text]")[was.index];
    if (!field) return;
    field.focus({ preventScroll: true });
    try { field.setSelectionRange(was.start, was.end); } catch (e) { /* a field without a caret */ }
  }
  function restoreFocus(event) {
    if (!focused || !event.target || !event.target.querySelector) return;
    var element = event.target.querySelector(focused);
    focused = null;
    if (element && document.activeElement !== element) element.focus({ preventScroll: true });
  }
  // --- a new live question is said to screen readers, once ---
  var announced = null;
  function announceQuestion() {
    var region = document.querySelector(".participant-question[data-question]");
    var announcer = document.getElementById("question-announcer");
    if (!announcer) return;
    var key = region ? region.dataset.question + ":" + region.dataset.round : "";
    if (announced === null) { announced = key; return; }  // the page's own question needs no announcement
    if (key === announced) return;
    announced = key;
    var heading = document.getElementById("live-question");
    announcer.textContent = heading ? heading.textContent.trim() : "";
  }

  document.addEventListener("htmx:ws:before:message:incoming", rememberFocus);
  document.addEventListener("htmx:ws:after:message:incoming", restoreFocus);
  document.addEventListener("htmx:ws:after:message:incoming", announceQuestion);
  document.addEventListener("DOMContentLoaded", announceQuestion);
  document.addEventListener("htmx:ws:before:message:incoming", followPollState);
  // The ballot's answer follows the question's region alone: the Q&A's socket and forms have their own pushes
  // and swaps, which may fall between the question's push and its swap; taken for the ballot's, they would
  // keep the region's passing state (a ranking's order as pushed) as the phone's unsent choice.
  function ballotOnly(handler) {
    return function (event) {
      var el = event && event.target;
      if (el && el.closest && el.closest(".qa-section, .qa-panel")) return;
      handler(event);
    };
  }
  document.addEventListener("htmx:ws:before:message:incoming", ballotOnly(rememberUnsent));
  // Once sent, the choice is the answer: what the server confirms is stored and re-applied from then on.
  document.addEventListener("htmx:before:request", function (event) {
    if (event.target && event.target.id === "ballot") unsent = null;
  });
  document.addEventListener("htmx:after:swap", ballotOnly(restore));
  document.addEventListener("htmx:ws:after:message:incoming", ballotOnly(restore));
  document.addEventListener("htmx:ws:after:message:incoming", ballotOnly(restoreTyping));
  document.addEventListener("DOMContentLoaded", restore);
  // After restore, which may tick boxes again.
  document.addEventListener("htmx:after:swap", limitChoices);
  document.addEventListener("htmx:ws:after:message:incoming", limitChoices);
  document.addEventListener("DOMContentLoaded", limitChoices);

  // --- Q&A: the pushed list is the same for every phone, so it cannot say which questions this one
  // upvoted. The server says it where it knows the phone (its page, a vote's answer: data-qa-mine); the
  // phone keeps that per event and marks the buttons of each pushed list from it. ---
  function upvotedKey(event) { return "polls:qa:" + event; }
  function upvoted(event) {
    try { return JSON.parse(localStorage.getItem(upvotedKey(event)) || "[]").map(String); } catch (e) { return []; }
  }
  function markUpvotes() {
    var lists = {};
    document.querySelectorAll("form.qa-vote").forEach(function (form) {
      var board = form.closest("[data-event]");
      if (!board) return;
      var event = board.dataset.event, id = form.dataset.qaQuestion;
      var mine = lists[event] || (lists[event] = upvoted(event));
      if (form.dataset.qaMine) {  // the server's word: remember it
        var at = mine.indexOf(id);
        if (form.dataset.qaMine === "true" && at === -1) mine.push(id);
        if (form.dataset.qaMine === "false" && at !== -1) mine.splice(at, 1);
        return;
      }
      var on = mine.indexOf(id) !== -1;
      form.querySelector("button").setAttribute("aria-pressed", on ? "true" : "false");
      form.querySelector("input[name=up]").value = on ? "false" : "true";
    });
    Object.keys(lists).forEach(function (event) {
      try { localStorage.setItem(upvotedKey(event), JSON.stringify(lists[event])); } catch (e) { /* private mode */ }
    });
  }
  // The vote's push usually arrives before its answer and replaces the list, so the answer's button may
  // land on a list no longer shown: what the server took (the vote as sent) is remembered here instead.
  document.addEventListener("htmx:after:request", function (event) {
    // The list may be gone from the page by now: htmx then sends the event to the document, and the form
    // is the request's source element.
    var ctx = event.detail && event.detail.ctx;
    var source = ctx && ctx.sourceElement;
    var form = source && source.closest && source.closest("form.qa-vote");
    var board = form && form.closest("[data-event]");
    if (!board || !ctx || !ctx.response || ctx.response.status >= 400) return;
    var event_ = board.dataset.event, id = form.dataset.qaQuestion, mine = upvoted(event_);
    var on = form.querySelector("input[name=up]").value === "true", at = mine.indexOf(id);
    if (on && at === -1) mine.push(id);
    if (!on && at !== -1) mine.splice(at, 1);
    try { localStorage.setItem(upvotedKey(event_), JSON.stringify(mine)); } catch (e) { /* private mode */ }
    markUpvotes();
  });
  document.addEventListener("DOMContentLoaded", markUpvotes);
  document.addEventListener("htmx:after:swap", markUpvotes);
  document.addEventListener("htmx:ws:after:message:incoming", markUpvotes);
})();
