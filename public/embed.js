/*!
 * Portico embed loader. Load it with one script tag from your Portico server:
 *   <script src="https://PORTICO/embed.js"></script>
 * then
 *   const kit = Portico.create({ tokenUrl: "/api/portico-token", onSuccess(connection) { … } });
 *   button.onclick = () => kit.open();
 *
 * The modal runs in a full-viewport iframe on Portico's origin. The token travels only by
 * postMessage with an exact target origin; both sides check event.origin and event.source.
 *
 * OAuth sign-ins open a pop-up from the modal. In redirect mode (`authWindow: 'redirect'`, or when
 * the user chose it after a blocked pop-up) this loader sends the page to Portico's sign-in start
 * page, and Portico sends it back here with `portico_attempt=…` in the query: the loader then
 * removes that parameter, reopens the modal, and the outcome reaches onSuccess / onError as usual.
 */
(function () {
  "use strict";
  if (window.Portico && window.Portico.version) return;

  var script = document.currentScript;
  var PORTICO_ORIGIN = script ? new URL(script.src, location.href).origin : location.origin;
  var DEFAULT_LOAD_TIMEOUT_MS = 15000;
  var RESUME_PARAM = "portico_attempt";

  // Back from a same-window sign-in: take the attempt id out of the address bar at once (so a
  // reload or a shared link does not replay it); the first Portico.create() picks it up.
  var pendingResume = (function () {
    var url;
    try { url = new URL(location.href); } catch (e) { return null; }
    var id = url.searchParams.get(RESUME_PARAM);
    if (id === null) return null;
    url.searchParams.delete(RESUME_PARAM);
    try { history.replaceState(history.state, "", url.pathname + url.search + url.hash); } catch (e) { /* keep going */ }
    return /^[A-Za-z0-9_-]{1,128}$/.test(id) ? id : null;
  })();

  function once(fn) {
    var done = false;
    return function () { if (!done) { done = true; fn.apply(null, arguments); } };
  }

  function call(fn, arg) {
    if (typeof fn !== "function") return;
    try { fn(arg); } catch (e) { setTimeout(function () { throw e; }); }
  }

  function onReady(fn) {
    if (document.body) fn(); else document.addEventListener("DOMContentLoaded", fn, { once: true });
  }

  function create(options) {
    options = options || {};
    if (!options.tokenUrl) throw new Error("Portico.create: `tokenUrl` is required");
    var frame = null;
    var ready = false;
    var isOpen = false;
    var pending = []; // messages posted before the modal said it was ready, in order
    var opener = null; // the host page's element that had focus when the modal opened
    var readyTimer = null;
    var savedOverflow = "";
    var destroyed = false;

    function post(message) {
      if (ready && frame && frame.contentWindow) {
        frame.contentWindow.postMessage(message, PORTICO_ORIGIN);
      } else {
        pending.push(message);
      }
    }

    function fail(code, message) {
      call(options.onError, { code: code, message: message });
    }

    function show() {
      savedOverflow = document.documentElement.style.overflow;
      document.documentElement.style.overflow = "hidden";
      frame.style.display = "block";
      frame.setAttribute("aria-hidden", "false");
      opener = document.activeElement;
      // A cross-origin frame may not autofocus: focus the frame, then tell the modal to focus its
      // first control.
      frame.focus();
      post({ type: "portico:shown" });
    }

    function hide() {
      isOpen = false;
      if (readyTimer) { clearTimeout(readyTimer); readyTimer = null; }
      if (!frame) return;
      frame.style.display = "none";
      frame.setAttribute("aria-hidden", "true");
      document.documentElement.style.overflow = savedOverflow;
      // Focus goes back to what opened the modal (WCAG 2.4.3), if it is still on the page.
      var back = opener;
      opener = null;
      if (back && back !== document.body && typeof back.focus === "function" && document.contains(back)) {
        back.focus();
      }
    }

    function onMessage(event) {
      if (!frame || event.origin !== PORTICO_ORIGIN || event.source !== frame.contentWindow) return;
      var data = event.data || {};
      switch (data.type) {
        case "portico:ready":
          ready = true;
          if (readyTimer) { clearTimeout(readyTimer); readyTimer = null; }
          var queued = pending;
          pending = [];
          queued.forEach(post);
          break;
        case "portico:success":
          call(options.onSuccess, data.connection);
          break;
        case "portico:error":
          fail(data.code || "error", data.message || "Something went wrong.");
          break;
        case "portico:close":
          hide();
          call(options.onClose);
          break;
        case "portico:event":
          call(options.onEvent, { name: data.name, data: data.data });
          break;
        case "portico:start-sign-in":
          // Redirect-mode sign-in: a form POST of the attempt and its one-time secret, only ever
          // to Portico's own origin. This page's Origin is what binds the sign-in to it.
          var target = null;
          try { target = new URL(data.url, PORTICO_ORIGIN); } catch (e) { target = null; }
          if (target && target.origin === PORTICO_ORIGIN && /^https?:$/.test(target.protocol) &&
              typeof data.attempt === "string" && typeof data.secret === "string") {
            var form = document.createElement("form");
            form.method = "POST";
            form.action = target.href;
            form.style.display = "none";
            [["attempt", data.attempt], ["secret", data.secret]].forEach(function (pair) {
              var input = document.createElement("input");
              input.type = "hidden";
              input.name = pair[0];
              input.value = pair[1];
              form.appendChild(input);
            });
            document.body.appendChild(form);
            form.submit();
          } else {
            fail("navigation_refused", "The sign-in page could not be opened.");
          }
          break;
      }
    }

    function mount() {
      if (frame || destroyed) return;
      frame = document.createElement("iframe");
      // The locale goes in the address too, so the page comes in that language and its words are
      // fetched while the modal preloads (it is sent again with the session).
      frame.src = PORTICO_ORIGIN + "/modal?parent=" + encodeURIComponent(location.origin) +
        (options.locale ? "&locale=" + encodeURIComponent(String(options.locale)) : "");
      frame.title = "Connect an integration";
      frame.setAttribute("aria-hidden", "true");
      frame.setAttribute("data-portico-modal", "");
      frame.setAttribute("allow", "clipboard-write");
      frame.setAttribute("referrerpolicy", "no-referrer");
      var s = frame.style;
      s.position = "fixed"; s.inset = "0"; s.width = "100%"; s.height = "100%";
      s.border = "0"; s.margin = "0"; s.padding = "0"; s.zIndex = "2147483647";
      s.background = "transparent"; s.colorScheme = "normal"; s.display = "none";
      document.body.appendChild(frame);
    }

    window.addEventListener("message", onMessage);
    onReady(mount); // preload hidden so open() shows at once

    function requestToken() {
      var headers = { "content-type": "application/json", accept: "application/json" };
      var extra = options.tokenHeaders || {};
      for (var k in extra) if (Object.prototype.hasOwnProperty.call(extra, k)) headers[k] = extra[k];
      return fetch(options.tokenUrl, { method: "POST", credentials: "same-origin", headers: headers, body: "{}" })
        .then(function (response) {
          return response.text().then(function (text) {
            var body = null;
            try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
            if (!response.ok) {
              var err = body && body.error;
              throw {
                code: (err && err.code) || "token_request_failed",
                message: (err && err.message) || ("The app's token endpoint answered HTTP " + response.status + "."),
              };
            }
            if (!body || typeof body.token !== "string") {
              throw { code: "token_request_failed", message: "The app's token endpoint did not return a token." };
            }
            return body.token;
          });
        }, function () {
          throw { code: "token_request_failed", message: "The app's token endpoint could not be reached." };
        });
    }

    function open() {
      openWith(null);
    }

    // `resumeAttempt`: the id of a same-window sign-in to finish (see pendingResume).
    function openWith(resumeAttempt) {
      if (destroyed) throw new Error("Portico: this instance was destroyed");
      if (isOpen) return;
      isOpen = true;
      onReady(function () {
        mount();
        show();
        if (!ready) {
          readyTimer = setTimeout(function () {
            if (ready) return;
            hide();
            fail("modal_unavailable", "The Portico modal could not load. Check that " + location.origin +
              " is an allowed origin of your Portico workspace and that " + PORTICO_ORIGIN + " is reachable.");
          }, options.loadTimeoutMs || DEFAULT_LOAD_TIMEOUT_MS);
        }
        requestToken().then(function (token) {
          if (!isOpen) return;
          post({
            type: "portico:session",
            token: token,
            options: {
              selectedIntegration: options.selectedIntegration || null,
              theme: options.theme || null,
              locale: options.locale || null,
              authWindow: options.authWindow === "redirect" ? "redirect" : "popup",
              // Where a same-window sign-in comes back to; the modal cannot read it itself.
              returnTo: location.href,
              resumeAttempt: resumeAttempt,
            },
          });
        }, function (error) {
          fail(error.code, error.message);
          post({ type: "portico:session-error", code: error.code, message: error.message });
        });
      });
    }

    function close() {
      if (!isOpen) return;
      post({ type: "portico:reset" });
      hide();
      call(options.onClose);
    }

    function destroy() {
      hide();
      destroyed = true;
      window.removeEventListener("message", onMessage);
      if (frame && frame.parentNode) frame.parentNode.removeChild(frame);
      frame = null;
    }

    if (pendingResume) {
      var resume = pendingResume;
      pendingResume = null;
      openWith(resume);
    }

    return { open: open, close: close, destroy: destroy };
  }

  window.Portico = { version: "1", create: create };
})();
