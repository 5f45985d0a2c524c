/* The console: a project's usage, cards, custom templates and webhook deliveries, through
   the API with the key kept in this tab's session storage. */
"use strict";
(() => {
  const { $, api, el } = og;
  let cursor = null;

  function signin(message) {
    $("#console").hidden = true;
    $("#signin").hidden = false;
    const box = $("#c-key-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  async function usage() {
    const r = await api("/api/v2/usage", { auth: true });
    if (r.status === 401 || r.status === 403) {
      og.setKey("");
      signin(og.problem(r));
      return false;
    }
    if (!r.ok) { signin(og.problem(r)); return false; }
    const u = r.data.usage;
    $("#signin").hidden = true;
    $("#console").hidden = false;
    $("#c-project").textContent = u.project;
    $("#c-keyid").textContent = u.keyId;
    $("#c-month").textContent = `${u.month} (UTC) · renews in ${Math.ceil(u.renewsIn / 86400)} days`;
    $("#c-used").textContent = u.used.toLocaleString();
    $("#c-quota").textContent = u.quota ? u.quota.toLocaleString() : "Unlimited";
    $("#c-rate").textContent = `${u.rate}/s`;
    $("#c-burst").textContent = String(u.burst);
    const share = u.quota ? Math.min(1, u.used / u.quota) : 0;
    $("#c-meter").style.width = `${(share * 100).toFixed(1)}%`;
    $("#c-meter-box").setAttribute("aria-label", u.quota ? `${u.used} of ${u.quota} renders used` : `${u.used} renders, no quota`);
    return true;
  }

  function cardRow(c) {
    return el("tr", { "data-slug": c.slug },
      el("td", {}, el("a", { href: c.url, "aria-label": `Open card ${c.slug}` },
        el("img", { class: "thumb", src: c.url, alt: "", width: 96, height: 50, loading: "lazy" }))),
      el("td", {}, el("a", { class: "mono", href: c.url, text: c.slug }), el("div", { class: "hint", text: c.title })),
      el("td", {}, el("span", { text: c.template }), el("div", { class: "hint", text: `${c.kind} · ${c.format}` })),
      el("td", {}, og.when(c.created * 1000)),
      el("td", { text: og.bytes(c.size) }));
  }
  async function cards(more) {
    const q = new URLSearchParams({ limit: "20" });
    if (more && cursor) q.set("startAfter", cursor);
    const r = await api(`/api/v2/cards?${q}`, { auth: true });
    if (!r.ok) return;
    const body = $("#c-cards tbody");
    const rows = r.data.cards.map(cardRow);
    if (more) body.append(...rows); else body.replaceChildren(...rows);
    cursor = r.data.next;
    $("#c-more").hidden = !cursor;
    $("#c-cards-empty").hidden = body.childElementCount > 0;
  }

  async function templates() {
    const r = await api("/api/v2/templates", { auth: true });
    if (!r.ok) return;
    const mine = r.data.templates.filter((t) => t.custom);
    $("#c-templates").replaceChildren(...mine.map((t) => el("li", {},
      el("img", { src: t.previewUrl, alt: `${t.title} sample`, width: 1200, height: 630, loading: "lazy" }),
      el("p", { class: "t", text: t.title }),
      el("p", { class: "mono", text: t.id }),
      el("a", { href: `/playground?template=${encodeURIComponent(t.id)}`, text: "Use in the playground" }))));
    $("#c-templates-empty").hidden = mine.length > 0;
  }

  const BADGE = { delivered: "ok", pending: "warn", dead: "bad" };
  const LABEL = { delivered: "Delivered", pending: "Pending", dead: "Dead-lettered" };
  function deliveryRow(d) {
    let target = d.url;
    try { const u = new URL(d.url); target = u.host + u.pathname; } catch { /* keep it whole */ }
    const action = d.status === "dead"
      ? el("button", { type: "button", class: "btn small", "data-resend": d.id, text: "Re-send", onclick: () => resend(d.id) })
      : null;
    return el("tr", { "data-id": d.id, "data-status": d.status },
      el("td", {}, el("span", { class: `badge ${BADGE[d.status] || ""}`, text: LABEL[d.status] || d.status }),
        d.resends ? el("div", { class: "hint", text: `re-sent ${d.resends}×` }) : null),
      el("td", { class: "mono", text: d.event }),
      el("td", { class: "mono", text: d.slug }),
      el("td", { class: "mono", text: target, title: d.url }),
      el("td", { text: String(d.attempts) }),
      el("td", { class: "err-cell", text: d.lastError || "–" }),
      el("td", {}, og.when(d.updated)),
      el("td", {}, action));
  }
  async function deliveries() {
    const r = await api("/api/v2/webhooks/deliveries", { auth: true });
    if (!r.ok) return;
    $("#c-deliveries tbody").replaceChildren(...r.data.deliveries.map(deliveryRow));
    $("#c-deliveries-empty").hidden = r.data.deliveries.length > 0;
  }
  async function resend(id) {
    const r = await api(`/api/v2/webhooks/deliveries/${encodeURIComponent(id)}/resend`, { method: "POST", auth: true });
    og.toast(r.ok ? "Queued again, same webhook-id" : og.problem(r));
    await deliveries();
  }

  async function load() {
    if (!og.key()) { signin(""); return; }
    if (await usage()) await Promise.all([cards(false), templates(), deliveries()]);
  }
  $("#key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    og.setKey($("#c-key").value);
    load();
  });
  $("#c-forget").addEventListener("click", () => { og.setKey(""); $("#c-key").value = ""; signin(""); });
  $("#c-refresh").addEventListener("click", load);
  $("#c-more").addEventListener("click", () => cards(true));
  load();
})();
