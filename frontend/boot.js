// Starts the modal's WASM bundle; if it cannot load, says so in words instead of spinning forever.
import init from "/modal/pkg/portico_modal.js";

init({ module_or_path: "/modal/pkg/portico_modal_bg.wasm" }).catch((error) => {
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
      { type: "portico:error", code: "modal_failed", message: "The Portico modal could not load." },
      parent,
    );
  }
});
