/* The template editor: TOML -> POST /api/v2/preview {toml} (debounced). A validator error
   (400, field "toml", with its line and key path) is pinned next to the line at fault. */
"use strict";
(() => {
  const { $, api, el } = og;
  const sources = JSON.parse($("#sources").textContent);
  const area = $("#toml");
  const gutter = $("#gutter");
  const marker = $("#e-marker");
  const errorBox = $("#e-error");
  const img = $("#e-preview");
  const frame = $("#e-frame");
  const LINE = 20; // px, the textarea's line height
  const PAD = 12; // px, its top padding
  let bad = 0; // the line in error, 0 for none
  let seq = 0;
  og.bindKey($("#e-key"));

  function lines() {
    const count = area.value.split("\n").length;
    if (gutter.childElementCount !== count) {
      gutter.replaceChildren(...Array.from({ length: count }, (_, i) => el("div", { text: String(i + 1) })));
    }
    gutter.querySelectorAll(".bad").forEach((n) => n.classList.remove("bad"));
    if (bad && gutter.children[bad - 1]) gutter.children[bad - 1].classList.add("bad");
    gutter.scrollTop = area.scrollTop;
    place();
  }
  function place() {
    const band = $("#e-band");
    img.classList.toggle("invalid", Boolean(bad) || !errorBox.hidden);
    if (!bad) { marker.hidden = true; band.hidden = true; return; }
    const top = PAD + (bad - 1) * LINE - area.scrollTop;
    marker.style.top = `${Math.max(4, Math.min(top - 4, area.clientHeight - 40))}px`;
    marker.hidden = false;
    band.style.top = `${top}px`;
    band.hidden = top < 0 || top > area.clientHeight;
  }
  function clean(message) {
    return message.replace(/^draft_[0-9a-f]+\.toml: /, "").replace(/^custom_[0-9a-f]+\.toml: /, "");
  }
  function showError(error) {
    if (!error) {
      bad = 0;
      errorBox.hidden = true;
      area.removeAttribute("aria-invalid");
      lines();
      return;
    }
    const text = clean(error.message);
    const moved = (error.line || 0) !== bad;
    bad = error.line || 0;
    if (moved && bad) {
      // Bring the line at fault into view (it is usually where the user is typing anyway).
      const top = (bad - 1) * LINE;
      if (top < area.scrollTop || top > area.scrollTop + area.clientHeight - 2 * LINE) {
        area.scrollTop = Math.max(0, top - area.clientHeight / 2);
      }
    }
    const where = [error.line ? `Line ${error.line}` : "", error.path || ""].filter(Boolean).join(" · ");
    errorBox.replaceChildren(...(where ? [el("strong", { text: where }), ": "] : []), text);
    errorBox.hidden = false;
    marker.textContent = error.path ? `${error.path}: ${text.replace(/^.*key '[^']*': /, "")}` : text;
    marker.dataset.line = String(bad);
    marker.dataset.path = error.path || "";
    area.setAttribute("aria-invalid", "true");
    lines();
  }

  async function preview() {
    const mine = ++seq;
    const body = { toml: area.value, title: $("#e-title").value || "Untitled", kind: $("#e-kind").value, tag: "Preview", author: "Ada Lovelace", description: "A description of the page." };
    $("#e-status").textContent = "Rendering…";
    const r = await api("/api/v2/preview", { method: "POST", body });
    if (mine !== seq) return;
    if (!r.ok) {
      const error = (r.data && r.data.error) || { message: og.problem(r) };
      showError(error.field === "toml" ? error : { message: og.problem(r) });
      $("#e-status").textContent = error.field === "toml" ? "Invalid template" : "Not rendered";
      $("#e-valid").textContent = "";
      return;
    }
    showError(null);
    frame.style.aspectRatio = `${r.data.width} / ${r.data.height}`;
    img.src = r.data.image;
    img.dataset.rendered = String(mine);
    $("#e-status").textContent = `${r.data.width}×${r.data.height} · ${r.data.elapsedMs} ms`;
    $("#e-valid").textContent = "Valid template.";
  }
  const schedule = og.debounce(preview, 350);

  function load(name) {
    area.value = sources[name] || "";
    area.scrollTop = 0;
    showError(null);
    preview();
  }
  area.addEventListener("input", () => { lines(); schedule(); });
  area.addEventListener("scroll", () => { gutter.scrollTop = area.scrollTop; place(); });
  area.addEventListener("keydown", (event) => {
    if (event.key === "Tab" && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      // Two spaces; Esc then Tab leaves the editor (keyboard users are never trapped).
      if (area.dataset.escaped === "1") { area.dataset.escaped = ""; return; }
      event.preventDefault();
      area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end");
      schedule();
    } else if (event.key === "Escape") {
      area.dataset.escaped = "1";
    }
  });
  $("#e-base").addEventListener("change", (event) => load(event.target.value));
  $("#e-kind").addEventListener("change", preview);
  $("#e-title").addEventListener("input", schedule);

  $("#e-save").addEventListener("click", async () => {
    const out = $("#e-saved");
    if (!og.key()) { out.textContent = "Enter your API key first."; $("#e-key").focus(); return; }
    out.textContent = "Saving…";
    const r = await api("/api/v2/templates", { method: "POST", auth: true, body: { toml: area.value, title: $("#e-name").value } });
    if (!r.ok) {
      const error = r.data && r.data.error;
      if (error && error.field === "toml") showError(error);
      out.textContent = og.problem(r);
      return;
    }
    const t = r.data.template;
    out.replaceChildren("Saved as ", el("code", { text: t.id }), ". ",
      el("a", { href: `/playground?template=${encodeURIComponent(t.id)}`, text: "Try it in the playground" }), ".");
  });

  load($("#e-base").value);
})();
