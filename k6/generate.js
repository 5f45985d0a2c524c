// Load test for the generation API and for /i/ while renders run.
//
//   k6 run -e BASE_URL=… -e API_KEY=… -e SLUGS=a,b,c -e SCENARIO=new|dedup|mixed k6/generate.js
//
// new:    every request a new card (unique title): renders/s and latency of a real render
// dedup:  the same card again and again: the cost of a dedup hit
// mixed:  mostly /i/ hits, some 304s, a few new renders and on-demand fallbacks, in one run;
//         the /i/ hits are tagged so their latency can be read apart from the renders'.
// baseline: the mixed scenario's /i/ hits and 304s in the same proportion, no renders: the
//         reference the mixed run's /i/ p99 is held to (same connection count).
import http from "k6/http";
import { check } from "k6";
import exec from "k6/execution";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const KEY = __ENV.API_KEY || "";
const SLUGS = (__ENV.SLUGS || "").split(",").filter((s) => s.length > 0);
const FALLBACK_SLUGS = (__ENV.FALLBACK_SLUGS || "").split(",").filter((s) => s.length > 0);
const SCENARIO = __ENV.SCENARIO || "new";
const DURATION = __ENV.DURATION || "10s";
const VUS = parseInt(__ENV.VUS || "4", 10);
const RUN = __ENV.RUN_ID || String(Date.now());

export const options = {
  scenarios: {
    [SCENARIO]: { executor: "constant-vus", vus: VUS, duration: DURATION },
  },
  discardResponseBodies: true,
  summaryTrendStats: ["avg", "med", "p(90)", "p(95)", "p(99)", "max"],
  thresholds: {
    checks: ["rate>0.999"],
    "http_req_duration{op:hit}": ["p(99)<50"],
  },
};

const headers = { "content-type": "application/json", "x-api-key": KEY };

function render(title) {
  const body = JSON.stringify({ template: "blog", title, description: "Load test card", tag: "k6" });
  return http.post(`${BASE}/api/v2/render`, body, { headers, tags: { op: "render" } });
}

export default function () {
  if (SCENARIO === "dedup") {
    const r = render("The same card every time");
    check(r, { "dedup 200/201": (x) => x.status === 200 || x.status === 201 });
    return;
  }
  if (SCENARIO === "new") {
    const r = render(`Card ${RUN} ${exec.vu.idInTest}-${exec.vu.iterationInScenario}`);
    check(r, { "new 201": (x) => x.status === 201 });
    return;
  }
  // mixed, or baseline: the same without its renders (rolls past 0.95 never happen)
  const roll = SCENARIO === "baseline" ? Math.random() * 0.95 : Math.random();
  const slug = SLUGS[Math.floor(Math.random() * SLUGS.length)];
  if (roll < 0.85) {
    const r = http.get(`${BASE}/i/${slug}`, { tags: { op: "hit" } });
    check(r, { "hit 200": (x) => x.status === 200 });
  } else if (roll < 0.95) {
    const etag = http.head(`${BASE}/i/${slug}`, { tags: { op: "hit" } }).headers["Etag"];
    const r = http.get(`${BASE}/i/${slug}`, { headers: { "If-None-Match": etag }, tags: { op: "hit" } });
    check(r, { "revalidate 304": (x) => x.status === 304 });
  } else if (roll < 0.99 || FALLBACK_SLUGS.length === 0) {
    const r = render(`Mixed ${RUN} ${exec.vu.idInTest}-${exec.vu.iterationInScenario}`);
    check(r, { "render 201": (x) => x.status === 201 });
  } else {
    const f = FALLBACK_SLUGS[Math.floor(Math.random() * FALLBACK_SLUGS.length)];
    const r = http.get(`${BASE}/i/${f}`, { tags: { op: "fallback" } });
    check(r, { "fallback 200": (x) => x.status === 200 });
  }
}
