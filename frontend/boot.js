// Starts the modal's WASM bundle, whose content-hashed file names the page carries; if it cannot
// load, says so in words instead of spinning forever.
const files = document.body.dataset;

import(files.js)
  .then((bundle) => bundle.default({ module_or_path: files.wasm }))
  .catch((error) => {
    console.error("Portico modal failed to start", error);
    const root = document.getElementById("portico-root");
    if (root) {
      root.innerHTML =
        '<div class="pm-backdrop"><div class="pm-dialog pm-center" role="alert">' +
        "<p><strong>The connect window could not load.</strong></p>" +
        "<p>Reload the page and try again. If this keeps happening, the site's Portico server is missing its modal files.</p>" +
        "</div></div>";
    }
    const parent = new URLSearchParams(location.search).get("parent");
    if (parent && window.parent !== window) {
      window.parent.postMessage(
        { type: "portico:error", code: "modal_unavailable", message: "The Portico modal could not load." },
        parent,
      );
    }
  });
