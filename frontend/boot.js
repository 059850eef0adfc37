// Starts the modal's WASM bundle, whose content-hashed file names the page carries; if it cannot
// load, says so in words (the page's language, written into the page by the server) instead of
// spinning forever.
const files = document.body.dataset;

function paragraph(text, strong) {
  const p = document.createElement("p");
  const inner = strong ? document.createElement("strong") : p;
  inner.textContent = text;
  if (strong) p.append(inner);
  return p;
}

import(files.js)
  .then((bundle) => bundle.default({ module_or_path: files.wasm }))
  .catch((error) => {
    console.error("Portico modal failed to start", error);
    const root = document.getElementById("portico-root");
    if (root) {
      const backdrop = document.createElement("div");
      backdrop.className = "pm-backdrop";
      const dialog = document.createElement("div");
      dialog.className = "pm-dialog pm-center";
      dialog.setAttribute("role", "alert");
      dialog.append(paragraph(files.failedTitle, true), paragraph(files.failedText, false));
      backdrop.append(dialog);
      root.replaceChildren(backdrop);
    }
    const parent = new URLSearchParams(location.search).get("parent");
    if (parent && window.parent !== window) {
      window.parent.postMessage(
        { type: "portico:error", code: "modal_unavailable", message: "The Portico modal could not load." },
        parent,
      );
    }
  });
