// The dashboard redraws itself when answers arrive: it polls /web/live with the stamp of
// what it shows; the server answers 204 while nothing changed, else the new live part.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var every = (parseInt(live.getAttribute("data-every"), 10) || 5) * 1000;
  var status = document.getElementById("live-status");
  function poll() {
    var url = "/web/live?round=" + encodeURIComponent(live.getAttribute("data-round")) +
      "&stamp=" + encodeURIComponent(live.getAttribute("data-stamp"));
    fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.status === 401) { return "stop"; }
      if (response.status !== 200) { return null; }
      var stamp = response.headers.get("X-Hokoku-Stamp");
      return response.text().then(function (html) {
        live.innerHTML = html;
        if (stamp) { live.setAttribute("data-stamp", stamp); }
        if (status) {
          status.textContent = status.getAttribute("data-updated") + " " +
            new Date().toLocaleTimeString(document.documentElement.lang);
        }
      });
    }).catch(function () { return null; }).then(function (outcome) {
      if (outcome !== "stop") { window.setTimeout(poll, every); }
    });
  }
  window.setTimeout(poll, every);
}());
