// sitegen live preview: reloads the page when the site was rebuilt, swaps
// stylesheets when only CSS changed, and shows build errors over the page.
// Served only by `sitegen serve`; never part of a deployed build.
(function () {
  "use strict";
  var script = document.currentScript;
  var epoch = script ? new URL(script.src).searchParams.get("epoch") || "0" : "0";
  var overlayId = "sitegen-error-overlay";

  function removeOverlay() {
    var old = document.getElementById(overlayId);
    if (old) { old.remove(); }
  }

  function showErrors(errors) {
    removeOverlay();
    var box = document.createElement("div");
    box.id = overlayId;
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-labelledby", overlayId + "-title");
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
      "background:rgba(20,16,14,.92);color:#fff;font:15px/1.5 ui-monospace,Menlo,Consolas,monospace;padding:2rem";
    var title = document.createElement("h2");
    title.id = overlayId + "-title";
    title.textContent = "sitegen: the site has errors (showing the last good build underneath)";
    title.style.cssText = "margin:0 0 1rem;font:600 1.1rem/1.3 system-ui,sans-serif;color:#ffb4a2";
    box.appendChild(title);
    var list = document.createElement("ol");
    list.style.cssText = "margin:0;padding-left:1.5rem";
    errors.forEach(function (line) {
      var item = document.createElement("li");
      item.className = "sitegen-error";
      item.textContent = line;
      item.style.cssText = "margin:.25rem 0;white-space:pre-wrap";
      list.appendChild(item);
    });
    box.appendChild(list);
    var hint = document.createElement("p");
    hint.textContent = "Fix the file and save: this page updates by itself.";
    hint.style.cssText = "margin-top:1.5rem;color:#ddd;font-family:system-ui,sans-serif";
    box.appendChild(hint);
    document.body.appendChild(box);
  }

  function swapStylesheets(version) {
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    Array.prototype.forEach.call(links, function (link) {
      var url = new URL(link.href, location.href);
      if (url.origin !== location.origin) { return; }
      url.searchParams.set("sitegen", version);
      var fresh = link.cloneNode();
      fresh.href = url.pathname + url.search;
      fresh.addEventListener("load", function () { link.remove(); });
      link.after(fresh);
    });
  }

  if (!window.EventSource) { return; }
  var source = new EventSource("/__sitegen__/events?epoch=" + encodeURIComponent(epoch));
  source.addEventListener("reload", function () {
    source.close();
    location.reload();
  });
  source.addEventListener("css", function (event) {
    var data = JSON.parse(event.data);
    epoch = String(data.epoch);
    swapStylesheets(epoch);
  });
  source.addEventListener("errors", function (event) {
    var data = JSON.parse(event.data);
    epoch = String(data.epoch);
    showErrors(data.errors);
  });
})();
