// The page's own script: a connection indicator for live regions. htmx and hx-ws do the rest.
(function () {
  function indicator() {
    return document.querySelector(".live-indicator");
  }
  function show(state, text) {
    var el = indicator();
    if (!el) return;
    el.dataset.live = state;
    el.textContent = text;
  }
  document.addEventListener("htmx:ws:after:connection", function () {
    show("on", "live");
  });
  document.addEventListener("htmx:ws:close", function (event) {
    var reason = event.detail && event.detail.reason;
    if (reason === "removed") return;
    var code = event.detail && event.detail.code;
    if (code === 4404) {
      show("off", "this poll no longer exists");
    } else {
      show("reconnecting", "reconnecting…");
    }
  });
})();
