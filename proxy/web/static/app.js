/* ogedge web: what every page shares. The API key lives in sessionStorage only (this tab),
   and travels only in the x-api-key header: never in a URL. */
"use strict";
const og = (() => {
  const KEY = "ogedge.apiKey";
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  function key() {
    try { return sessionStorage.getItem(KEY) || ""; } catch { return ""; }
  }
  function setKey(value) {
    try {
      if (value) sessionStorage.setItem(KEY, value.trim()); else sessionStorage.removeItem(KEY);
    } catch { /* storage disabled: the key lives only in the field */ }
  }
  /* A key field shared by every page: filled from the session, saved back as it is typed. */
  function bindKey(input) {
    if (!input) return;
    input.value = key();
    input.addEventListener("input", () => setKey(input.value));
  }

  async function api(path, { method = "GET", body, auth = false, signal } = {}) {
    const headers = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (auth && key()) headers["x-api-key"] = key();
    const res = await fetch(path, {
      method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch { /* an empty or non-JSON answer */ }
    return { status: res.status, ok: res.ok, data, headers: res.headers };
  }
  function problem(r) {
    const e = r.data && r.data.error;
    if (e && e.message) return e.message;
    return `The server answered ${r.status}.`;
  }

  function debounce(fn, ms) {
    let timer = 0;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }
  let toastTimer = 0;
  function toast(message) {
    let box = $(".toast");
    if (!box) {
      box = el("div", { class: "toast", role: "status", "aria-live": "polite" });
      document.body.append(box);
    }
    box.textContent = message;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 1800);
  }
  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = el("textarea", { class: "sr-only" });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    toast("Copied");
  }
  /* <button data-copy="ID"> copies the text (or value) of #ID. */
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (source) copy("value" in source && source.tagName === "INPUT" ? source.value : source.textContent);
  });

  function bytes(n) {
    if (n === null || n === undefined) return "–";
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
    return `${(n / 1048576).toFixed(1)} MB`;
  }
  function ago(ms) {
    const s = Math.round((Date.now() - ms) / 1000);
    if (s < 45) return "just now";
    const units = [["minute", 60], ["hour", 3600], ["day", 86400], ["month", 2592000], ["year", 31536000]];
    let pick = units[0];
    for (const u of units) if (s >= u[1]) pick = u;
    const n = Math.round(s / pick[1]);
    return `${n} ${pick[0]}${n === 1 ? "" : "s"} ago`;
  }
  function when(ms) {
    const node = el("time", { datetime: new Date(ms).toISOString(), title: new Date(ms).toLocaleString() });
    node.textContent = ago(ms);
    return node;
  }
  return { $, $$, key, setKey, bindKey, api, problem, debounce, el, toast, copy, bytes, ago, when };
})();
