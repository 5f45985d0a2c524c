// The blog card (templates/blog.toml, midnight palette, og size) through satori + @resvg/resvg-js,
// the engine of @vercel/og. Run by scripts/bench_render_peers.py, which passes the same texts,
// the same Inter files and the same avatar/logo PNG files it gives ogedge's renderer and Takumi:
//
//   node render.mjs --spec '{"title":…,"description":…,"tag":…,"author":…}' \
//        --avatar a.png --logo l.png [--fonts regular.otf,semibold.otf,bold.otf] \
//        [--iterations 40] [--warmup 3] [--start 0] [--out-dir DIR]
//   node render.mjs --cold --out card.png --spec … --avatar … --logo … [--fonts …]
//
// Timed mode: `warmup` untimed renders then `iterations` timed ones, each JSX-equivalent → SVG
// (satori) → PNG (resvg); every render appends "#n" to the title, n counting up from --start
// (warm-ups included), as the Takumi script and the driver's ogedge loop do. PNG only: resvg
// encodes nothing else. Prints one JSON line with every render's milliseconds and
// the bytes of the last card; with --out-dir, writes that card as satori.png.
// Cold mode: renders one card (title without "#n"), writes it to --out and exits, so the driver
// can time process spawn → file written.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";

import { Resvg } from "@resvg/resvg-js";
import satori from "satori";

const { values: args } = parseArgs({
  options: {
    spec: { type: "string" },
    avatar: { type: "string" },
    logo: { type: "string" },
    iterations: { type: "string", default: "40" },
    warmup: { type: "string", default: "3" },
    start: { type: "string", default: "0" },
    fonts: { type: "string" },
    "out-dir": { type: "string" },
    cold: { type: "boolean", default: false },
    out: { type: "string" },
  },
});
const spec = JSON.parse(args.spec);

// midnight palette (templates/palettes.toml)
const P = {
  background: "#0b1020",
  background2: "#1c1f4d",
  text: "#f4f6ff",
  muted: "#a9b1d6",
  accent: "#8fa2ff",
  accent2: "#c792ff",
};

// Inter 400/600/700: the files the driver passes, else as fontconfig resolves them for ogedge
// (satori needs TTF/OTF/WOFF).
const fontPaths = args.fonts
  ? args.fonts.split(",")
  : ["Inter:regular", "Inter:semibold", "Inter:bold"].map((pattern) =>
      execFileSync("fc-match", ["-f", "%{file}", pattern], { encoding: "utf8" }),
    );
const fonts = fontPaths.map((path, i) => ({
  name: "Inter",
  data: readFileSync(path),
  weight: [400, 600, 700][i],
  style: "normal",
  path,
}));

const dataUri = (path) => `data:image/png;base64,${readFileSync(path).toString("base64")}`;
const avatar = dataUri(args.avatar);
const logo = dataUri(args.logo);

const h = (type, style, children, extra = {}) => ({
  type,
  props: { style, children, ...extra },
});

// templates/blog.toml, og layout: boxes in px on a 1200x630 canvas.
function card(title) {
  return h(
    "div",
    {
      width: 1200,
      height: 630,
      display: "flex",
      position: "relative",
      fontFamily: "Inter",
      color: P.text,
      backgroundImage: `linear-gradient(125deg, ${P.background}, ${P.background2})`,
    },
    [
      // glow: x 0.92, y 0.05, radius 0.55 (of the width), accent2 at 22%
      h("div", {
        position: "absolute",
        left: 1104 - 660,
        top: 31 - 660,
        width: 1320,
        height: 1320,
        backgroundImage: `radial-gradient(circle, rgba(199,146,255,0.22), rgba(199,146,255,0) 70%)`,
      }),
      // logo: box [80, 60, 220, 48], contain, left
      h("img", { position: "absolute", left: 80, top: 60, height: 48, maxWidth: 220 }, undefined, {
        src: logo,
      }),
      // main stack: box [80, 136, 1040, 356], middle, gap 22
      h(
        "div",
        {
          position: "absolute",
          left: 80,
          top: 136,
          width: 1040,
          height: 356,
          display: "flex",
          flexDirection: "column",
          justifyContent: "center",
          alignItems: "flex-start",
          gap: 22,
        },
        [
          h(
            "div",
            {
              display: "flex",
              fontSize: 19,
              fontWeight: 600,
              letterSpacing: 1.6,
              lineHeight: 1.0,
              textTransform: "uppercase",
              color: P.accent,
              backgroundColor: "rgba(143,162,255,0.16)",
              padding: "9px 16px",
              borderRadius: 999,
            },
            spec.tag,
          ),
          h(
            "div",
            {
              display: "block",
              width: 1040,
              fontSize: 62,
              fontWeight: 700,
              lineHeight: 1.12,
              letterSpacing: -1.2,
              lineClamp: 3,
              textWrap: "balance",
            },
            title,
          ),
          h(
            "div",
            {
              display: "block",
              width: 980,
              fontSize: 27,
              fontWeight: 400,
              lineHeight: 1.4,
              color: P.muted,
              lineClamp: 2,
            },
            spec.description,
          ),
        ],
      ),
      // avatar: box [80, 524, 56, 56], circle, border 2 accent
      h(
        "img",
        {
          position: "absolute",
          left: 80,
          top: 524,
          width: 56,
          height: 56,
          borderRadius: 28,
          border: `2px solid ${P.accent}`,
        },
        undefined,
        { src: avatar, width: 56, height: 56 },
      ),
      // author: box [152, 524, 700, 56], middle
      h(
        "div",
        {
          position: "absolute",
          left: 152,
          top: 524,
          width: 700,
          height: 56,
          display: "flex",
          alignItems: "center",
          fontSize: 24,
          fontWeight: 600,
        },
        spec.author,
      ),
      // rule: box [0, 622, 1200, 8], accent → accent2
      h("div", {
        position: "absolute",
        left: 0,
        top: 622,
        width: 1200,
        height: 8,
        backgroundImage: `linear-gradient(90deg, ${P.accent}, ${P.accent2})`,
      }),
    ],
  );
}

async function renderOnce(i) {
  const title = i === null ? spec.title : `${spec.title} #${i}`;
  const svg = await satori(card(title), { width: 1200, height: 630, fonts });
  return new Resvg(svg, { fitTo: { mode: "original" } }).render().asPng();
}

if (args.cold) {
  writeFileSync(args.out, await renderOnce(null));
  process.exit(0);
}

const iterations = Number(args.iterations);
const warmup = Number(args.warmup);
let n = Number(args.start);
for (let i = 0; i < warmup; i++) await renderOnce(n++);
const times = [];
let png;
for (let i = 0; i < iterations; i++) {
  const started = process.hrtime.bigint();
  png = await renderOnce(n++);
  times.push(Number(process.hrtime.bigint() - started) / 1e6);
}
if (args["out-dir"] && png) writeFileSync(join(args["out-dir"], "satori.png"), png);
const require = createRequire(import.meta.url);
console.log(
  JSON.stringify({
    engine: "satori",
    version: require("satori/package.json").version,
    resvg: require("@resvg/resvg-js/package.json").version,
    node: process.version,
    iterations,
    warmup,
    fonts: fonts.map((f) => `${f.path} (${f.weight})`),
    results: { png: { times_ms: times, bytes: png ? png.length : 0 } },
  }),
);
