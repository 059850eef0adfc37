// Renders /openapi.json as a readable page: operations grouped by tag, their parameters, bodies,
// responses and schemas. No third-party code: the document is the source of truth.
(function () {
  "use strict";
  const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  };
  const refName = (schema) => (schema && schema.$ref ? schema.$ref.split("/").pop() : null);
  const typeOf = (schema) => {
    if (!schema) return "";
    if (schema.$ref) return refName(schema);
    if (schema.type === "array") return typeOf(schema.items) + "[]";
    if (Array.isArray(schema.type)) return schema.type.join(" | ");
    if (schema.oneOf) return schema.oneOf.map(typeOf).join(" | ");
    if (schema.enum) return schema.enum.map((e) => JSON.stringify(e)).join(" | ");
    return schema.type || "object";
  };
  const link = (schema) => {
    const name = refName(schema && schema.type === "array" ? schema.items : schema);
    return name ? el("a", { href: "#schema-" + name }, typeOf(schema)) : el("code", {}, typeOf(schema));
  };

  function operation(path, method, op) {
    const box = el("section", { class: "op", id: op.operationId || method + path });
    box.append(el("h3", {}, el("span", { class: "m " + method }, method.toUpperCase()), path));
    if (op.summary) box.append(el("p", {}, op.summary));
    if (op.description && op.description !== op.summary) box.append(el("p", { class: "muted" }, op.description));
    const security = (op.security || []).flatMap((s) => Object.keys(s));
    box.append(el("p", { class: "muted" }, "Authentication: ", security.length ? security.join(", ") : "none"));
    if (op.parameters && op.parameters.length) {
      const table = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "description")));
      for (const p of op.parameters) {
        table.append(el("tr", {}, el("td", {}, el("code", {}, p.name + (p.required ? "" : "?"))), el("td", {}, p.in), el("td", {}, typeOf(p.schema)), el("td", {}, p.description || "")));
      }
      box.append(table);
    }
    const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
    if (body) box.append(el("p", {}, "Body: ", link(body.schema)));
    const responses = el("table", {}, el("tr", {}, el("th", {}, "status"), el("th", {}, "body"), el("th", {}, "meaning")));
    for (const [status, r] of Object.entries(op.responses || {})) {
      const json = r.content && r.content["application/json"];
      responses.append(el("tr", {}, el("td", {}, status), el("td", {}, json ? link(json.schema) : ""), el("td", {}, r.description || "")));
    }
    box.append(responses);
    return box;
  }

  function schemas(components) {
    const out = el("section", {}, el("h2", { id: "schemas" }, "Schemas"));
    for (const [name, schema] of Object.entries((components && components.schemas) || {})) {
      const box = el("section", { class: "op", id: "schema-" + name }, el("h3", {}, name));
      if (schema.description) box.append(el("p", { class: "muted" }, schema.description));
      const props = schema.properties || {};
      if (Object.keys(props).length) {
        const required = new Set(schema.required || []);
        const table = el("table", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "description")));
        for (const [field, s] of Object.entries(props)) {
          table.append(el("tr", {}, el("td", {}, el("code", {}, field + (required.has(field) ? "" : "?"))), el("td", {}, link(s)), el("td", {}, s.description || "")));
        }
        box.append(table);
      } else {
        box.append(el("pre", {}, JSON.stringify(schema, null, 2)));
      }
      out.append(box);
    }
    return out;
  }

  fetch("/openapi.json")
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
    .then((doc) => {
      const nav = document.getElementById("nav");
      const main = document.getElementById("main");
      nav.innerHTML = "";
      main.innerHTML = "";
      nav.append(el("h1", {}, doc.info.title), el("p", { class: "muted" }, "OpenAPI " + doc.openapi + " · ", el("a", { href: "/openapi.json" }, "openapi.json")));
      main.append(el("h1", {}, doc.info.title), el("p", {}, doc.info.description || ""));
      const tags = (doc.tags || []).map((t) => t.name);
      const byTag = new Map(tags.map((t) => [t, []]));
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const method of METHODS) {
          const op = item[method];
          if (!op) continue;
          const tag = (op.tags && op.tags[0]) || "Other";
          if (!byTag.has(tag)) byTag.set(tag, []);
          byTag.get(tag).push([path, method, op]);
        }
      }
      for (const [tag, ops] of byTag) {
        if (!ops.length) continue;
        const description = (doc.tags || []).find((t) => t.name === tag);
        nav.append(el("div", { class: "tag" }, tag));
        main.append(el("h2", { id: "tag-" + tag }, tag));
        if (description && description.description) main.append(el("p", { class: "muted" }, description.description));
        for (const [path, method, op] of ops) {
          const id = op.operationId || method + path;
          nav.append(el("a", { href: "#" + id }, method.toUpperCase() + " " + path));
          main.append(operation(path, method, op));
        }
      }
      nav.append(el("div", { class: "tag" }, el("a", { href: "#schemas" }, "Schemas")));
      main.append(schemas(doc.components));
    })
    .catch((error) => {
      document.getElementById("main").innerHTML = "";
      document.getElementById("main").append(el("p", { class: "error", role: "alert" }, "The API document could not be loaded: " + error.message));
    });
})();
