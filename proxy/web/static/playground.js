/* The playground: form -> POST /api/v2/preview (debounced) -> the card, its layout report,
   the networks' framing, and copy-ready snippets. The form's state is in the URL (a share
   link), images excepted. */
"use strict";
(() => {
  const { $, $$, api, el } = og;
  const KINDS = { og: [1200, 630], twitter: [1200, 600], linkedin: [1200, 627], square: [1080, 1080] };
  const FIELDS = ["template", "palette", "kind", "format", "font", "dpr", "title", "description", "tag", "author"];
  const DEFAULTS = {};
  const form = $("#pg-form");
  const img = $("#preview");
  const frame = $("#preview-frame");
  const images = { avatar: "", logo: "" };
  let rendered = null; // {url, body}: the stored card of the current fields
  let signed = "";
  let last = null; // the last preview answer
  let seq = 0;
  let inflight = null;

  for (const name of FIELDS) DEFAULTS[name] = form.elements[name].value;
  const query = new URLSearchParams(location.search);
  for (const name of FIELDS) {
    if (!query.has(name)) continue;
    const input = form.elements[name];
    if (input.tagName === "SELECT" && ![...input.options].some((o) => o.value === query.get(name))) {
      input.append(el("option", { value: query.get(name), text: query.get(name) })); // custom_…
    }
    input.value = query.get(name);
  }
  og.bindKey($("#p-key"));

  function fields() {
    const body = {};
    for (const name of FIELDS) {
      const value = form.elements[name].value;
      if (name === "dpr") { if (value !== "1") body.dpr = Number(value); continue; }
      if (value !== "" || name === "title") body[name] = value;
    }
    for (const [field, uri] of Object.entries(images)) if (uri) body[field] = uri;
    return body;
  }
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

  function status(text) { $("#status").textContent = text; }
  function showError(text) {
    const box = $("#preview-error");
    box.textContent = text;
    box.hidden = !text;
    if (text) status("Not rendered");
  }

  async function preview() {
    const body = fields();
    const mine = ++seq;
    if (!body.title.trim()) {
      showError("Type a title: it is the one field every card needs.");
      return;
    }
    if (inflight) inflight.abort();
    inflight = new AbortController();
    img.classList.add("stale");
    status("Rendering…");
    let r;
    try {
      r = await api("/api/v2/preview", {
        method: "POST", body, signal: inflight.signal, auth: body.template.startsWith("custom_"),
      });
    } catch (err) {
      if (err.name !== "AbortError") showError(`The server did not answer (${err.message}).`);
      return;
    }
    if (mine !== seq) return;
    img.classList.remove("stale");
    if (!r.ok) {
      const wait = r.headers.get("retry-after");
      showError(og.problem(r) + (r.status === 429 && wait ? ` Trying again in ${wait} s.` : ""));
      if (r.status === 429 && wait) setTimeout(schedule, Number(wait) * 1000);
      return;
    }
    showError("");
    last = r.data;
    frame.style.aspectRatio = `${last.width} / ${last.height}`;
    img.width = last.width;
    img.height = last.height;
    img.src = last.image;
    img.dataset.title = body.title;
    img.alt = `Preview: ${body.title}`;
    const fmt = last.mediaType.split("/")[1].toUpperCase();
    status(`${last.width}×${last.height} ${fmt} · ${og.bytes(last.bytes)} · ${last.elapsedMs} ms`);
    diagnostics(last.layers);
    for (const node of $$(".js-card")) node.src = last.image;
  }
  const schedule = og.debounce(preview, 250);

  function diagnostics(layers) {
    const rows = layers.filter((l) => l.type === "text").map((l) => el("tr", { "data-layer": l.id },
      el("td", { text: l.id }),
      el("td", { text: `${l.fontSize} px` }),
      el("td", { text: String(l.lines) }),
      el("td", {}, l.truncated
        ? el("span", { class: "badge warn", text: "Truncated…" })
        : el("span", { class: "badge ok", text: "Fits" })),
      el("td", {}, l.missingGlyphs
        ? el("span", { class: "badge bad", title: "No installed font has these", text: `${[...l.missingGlyphs].length} missing: ${l.missingGlyphs}` })
        : el("span", { class: "hint", text: "none" })),
    ));
    const body = $("#diag tbody");
    body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 5, class: "hint", text: "This template draws no text." }))]));
  }

  function imageUrl() {
    if (rendered && rendered.key === JSON.stringify(fields())) return rendered.url;
    return signed || `${location.origin}/i/YOUR_SLUG`;
  }
  function snippets() {
    const body = fields();
    const [w, h] = (KINDS[body.kind] || KINDS.og).map((side) => side * (body.dpr || 1));
    const url = imageUrl();
    const alt = body.author ? `${body.title}, by ${body.author}` : body.title;
    const type = { png: "image/png", jpeg: "image/jpeg", webp: "image/webp", avif: "image/avif" }[body.format] || "image/png";
    const lines = [];
    if (url.endsWith("/YOUR_SLUG")) lines.push("<!-- og:image: press Render and store for the card's /i/ URL -->");
    lines.push(
      `<meta property="og:title" content="${esc(body.title)}">`,
      ...(body.description ? [`<meta property="og:description" content="${esc(body.description)}">`] : []),
      `<meta property="og:image" content="${esc(url)}">`,
      `<meta property="og:image:type" content="${type}">`,
      `<meta property="og:image:width" content="${w}">`,
      `<meta property="og:image:height" content="${h}">`,
      `<meta property="og:image:alt" content="${esc(alt)}">`,
      `<meta name="twitter:card" content="summary_large_image">`,
      `<meta name="twitter:title" content="${esc(body.title)}">`,
      ...(body.description ? [`<meta name="twitter:description" content="${esc(body.description)}">`] : []),
      `<meta name="twitter:image" content="${esc(url)}">`,
      `<meta name="twitter:image:alt" content="${esc(alt)}">`,
    );
    $("#meta").textContent = lines.join("\n");
    const shown = { ...body };
    for (const field of Object.keys(images)) if (shown[field]) shown[field] = `https://example.com/${field}.png`;
    const json = JSON.stringify(shown, null, 2).replace(/'/g, "'\\''");
    $("#curl").textContent = `curl -s ${location.origin}/api/v2/render \\\n  -H "x-api-key: $OGEDGE_KEY" -H 'content-type: application/json' \\\n  -d '${json}'`;
    for (const node of $$(".js-title")) node.textContent = body.title;
    for (const node of $$(".js-desc")) node.textContent = body.description || "";
    for (const node of $$(".js-host")) node.textContent = location.host;
    for (const node of $$(".js-site")) node.textContent = location.hostname;
  }
  function share() {
    const params = new URLSearchParams();
    for (const name of FIELDS) {
      const value = form.elements[name].value;
      if (value !== DEFAULTS[name] || name === "template" || name === "title") params.set(name, value);
    }
    const url = `${location.origin}/playground?${params}`;
    $("#share").value = url;
    history.replaceState(null, "", `/playground?${params}`);
  }
  function changed() {
    snippets();
    share();
    schedule();
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => event.preventDefault());

  /* Avatar and logo: dropped or chosen, read as data: URIs (the preview takes only these). */
  const MAX_IMAGE = 3 * 1024 * 1024;
  for (const drop of $$(".drop")) {
    const field = drop.dataset.field;
    const input = $("input[type=file]", drop);
    const thumb = $(".drop-thumb", drop);
    const clear = $(".clear", drop);
    const take = (file) => {
      if (!file) return;
      if (!file.type.startsWith("image/")) { showError(`${field}: that file is not an image.`); return; }
      if (file.size > MAX_IMAGE) { showError(`${field}: images up to 3 MB, please.`); return; }
      const reader = new FileReader();
      reader.onload = () => {
        images[field] = reader.result;
        thumb.src = reader.result;
        thumb.hidden = false;
        clear.hidden = false;
        changed();
      };
      reader.readAsDataURL(file);
    };
    input.addEventListener("change", () => take(input.files[0]));
    clear.addEventListener("click", () => {
      images[field] = "";
      input.value = "";
      thumb.hidden = true;
      clear.hidden = true;
      changed();
    });
    drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      drop.classList.remove("over");
      take(event.dataTransfer.files[0]);
    });
  }

  /* Render and store (POST /api/v2/render): the card's permanent URL for the meta tags. */
  $("#p-render").addEventListener("click", async () => {
    const out = $("#p-render-status");
    if (!og.key()) { out.textContent = "Enter your API key first."; $("#p-key").focus(); return; }
    const body = fields();
    out.textContent = "Rendering and storing…";
    const r = await api("/api/v2/render", { method: "POST", body, auth: true });
    if (!r.ok) { out.textContent = og.problem(r); return; }
    rendered = { url: r.data.url, key: JSON.stringify(body) };
    out.replaceChildren(r.data.cached ? "Already stored: " : "Stored: ",
      el("a", { href: r.data.url, id: "p-card-url", text: r.data.url }));
    snippets();
  });

  /* Signed URL (POST /api/v2/sign), where the server has it. */
  $("#p-sign").addEventListener("click", async () => {
    const note = $("#signed-note");
    const pre = $("#signed").parentElement;
    if (!og.key()) { note.textContent = "Enter your API key above first."; $("#p-key").focus(); return; }
    const r = await api("/api/v2/sign", { method: "POST", body: fields(), auth: true });
    if (r.ok && r.data && r.data.url) {
      signed = r.data.url;
      $("#signed").textContent = signed;
      pre.hidden = false;
      note.textContent = "Anyone with this URL gets this card; the signature covers every field.";
      snippets();
      return;
    }
    pre.hidden = true;
    if (r.status === 404 || r.status === 405) {
      note.textContent = "This server has no signed URLs yet (POST /api/v2/sign answered " + r.status + ").";
      $("#p-sign").hidden = true;
    } else if (r.status === 401 || r.status === 403) {
      note.textContent = "The API key was refused: " + og.problem(r);
    } else {
      note.textContent = og.problem(r);
    }
  });

  snippets();
  share();
  preview();
})();
