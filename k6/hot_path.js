// Load test for GET /i/<slug>: cache hits, 304 revalidations and 404s.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8000 -e SLUGS=a,b,c -e MODE=mix k6/hot_path.js
//
// MODE: hits | revalidate | mix (70% hits, 20% 304s, 10% unknown slugs) | og (GET one of
//       URLS: comma-separated /og/ paths with their query, signed and made already).
// LOAD: closed (VUS virtual users as fast as they can, measures max req/s) or
//       open (a constant RATE of requests/s, measures latency at that rate).
import http from "k6/http";
import { check } from "k6";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8000";
const SLUGS = (__ENV.SLUGS || "").split(",").filter((s) => s.length > 0);
const URLS = (__ENV.URLS || "").split(",").filter((s) => s.length > 0);
const MODE = __ENV.MODE || "mix";
const LOAD = __ENV.LOAD || "closed";
const DURATION = __ENV.DURATION || "10s";
const VUS = parseInt(__ENV.VUS || "32", 10);
const RATE = parseInt(__ENV.RATE || "1000", 10);
const P99_MS = parseFloat(__ENV.P99_MS || "5");

const scenario =
  LOAD === "open"
    ? { executor: "constant-arrival-rate", rate: RATE, timeUnit: "1s", duration: DURATION,
        preAllocatedVUs: Math.max(VUS, 16), maxVUs: Math.max(VUS * 4, 64) }
    : { executor: "constant-vus", vus: VUS, duration: DURATION };

export const options = {
  scenarios: { hot_path: scenario },
  discardResponseBodies: true,
  summaryTrendStats: ["avg", "med", "p(90)", "p(95)", "p(99)", "max"],
  thresholds: {
    // Every answer is the expected one: a 429 or a 5xx here is a failure.
    checks: ["rate>0.999"],
    http_req_failed: ["rate<0.001"],
    ...(LOAD === "open" ? { http_req_duration: [`p(99)<${P99_MS}`] } : {}),
  },
};

export function setup() {
  if (SLUGS.length === 0) throw new Error("set SLUGS to a comma-separated list of seeded slugs");
  const etags = {};
  for (const slug of SLUGS) {
    const r = http.get(`${BASE}/i/${slug}`);
    if (r.status !== 200) throw new Error(`seed ${slug} answered ${r.status}`);
    etags[slug] = r.headers["Etag"];
  }
  return { etags };
}

http.setResponseCallback(http.expectedStatuses(200, 304, 404));

export default function (data) {
  if (MODE === "og") {
    const r = http.get(`${BASE}${URLS[Math.floor(Math.random() * URLS.length)]}`);
    check(r, { "og 200": (x) => x.status === 200 });
    return;
  }
  const slug = SLUGS[Math.floor(Math.random() * SLUGS.length)];
  const roll = MODE === "hits" ? 0 : MODE === "revalidate" ? 0.75 : Math.random();
  if (roll < 0.7) {
    const r = http.get(`${BASE}/i/${slug}`);
    check(r, { "hit 200": (x) => x.status === 200 });
  } else if (roll < 0.9) {
    const r = http.get(`${BASE}/i/${slug}`, { headers: { "If-None-Match": data.etags[slug] } });
    check(r, { "revalidate 304": (x) => x.status === 304 });
  } else {
    // Broken links repeat: 200 distinct unknown slugs, so the negative cache is exercised
    // (every fresh unknown slug costs one storage lookup by design).
    const r = http.get(`${BASE}/i/Missing${String(Math.floor(Math.random() * 200)).padStart(5, "0")}`);
    check(r, { "unknown 404": (x) => x.status === 404 });
  }
}
