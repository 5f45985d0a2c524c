// The blog card (templates/blog.toml, midnight palette, og size) through Takumi (@takumi-rs/core,
// Rust, native Node binding), drawn as scripts/satori/render.mjs draws it. Run by
// scripts/bench_render_peers.py, which passes the same texts, the same Inter files and the same
// avatar/logo PNG files it gives ogedge's renderer and satori:
//
//   node render.mjs --spec '{"title":…,"description":…,"tag":…,"author":…}' \
//        --avatar a.png --logo l.png [--fonts regular.otf,semibold.otf,bold.otf] \
//        [--formats png,jpeg,webp] [--iterations 40] [--warmup 3] [--start 0] [--out-dir DIR]
//   node render.mjs --cold --format png --out card.png --spec … --avatar … --logo … [--fonts …]
//
// Timed mode: per format, `warmup` untimed renders then `iterations` timed ones; every render
// appends "#n" to the title, n counting up from --start over all formats (warm-ups included), so
// no title repeats and the driver gives every engine the same titles. A render is node tree →
// encoded bytes (`Renderer.render`). Prints one JSON line with every render's milliseconds and
// the bytes of the last card of each format; with --out-dir, writes those as takumi.<format>.
// Quality: JPEG 86 and WebP 82 (lossy), ogedge's defaults (renderer/layout_model.py Output).
// Cold mode: renders one card (title without "#n"), writes it to --out and exits, so the driver
// can time process spawn → file written.
// One thread: the driver sets RAYON_NUM_THREADS=1 and UV_THREADPOOL_SIZE=1; renders are awaited
// one at a time.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

import { Renderer } from "@takumi-rs/core";

const { values: args } = parseArgs({
  options: {
    spec: { type: "string" },
    avatar: { type: "string" },
    logo: { type: "string" },
    fonts: { type: "string" },
    formats: { type: "string", default: "png,jpeg,webp" },
    iterations: { type: "string", default: "40" },
    warmup: { type: "string", default: "3" },
    start: { type: "string", default: "0" },
    "out-dir": { type: "string" },
    cold: { type: "boolean", default: false },
    format: { type: "string", default: "png" },
    out: { type: "string" },
  },
});
const spec = JSON.parse(args.spec);
const QUALITY = { jpeg: 86, webp: 82 };

// midnight palette (templates/palettes.toml)
const P = {
  background: "#0b1020",
  background2: "#1c1f4d",
  text: "#f4f6ff",
  muted: "#a9b1d6",
  accent: "#8fa2ff",
  accent2: "#c792ff",
};

// Inter 400/600/700: the files the driver passes, else as fontconfig resolves them for ogedge.
const fontPaths = args.fonts
  ? args.fonts.split(",")
  : ["Inter:regular", "Inter:semibold", "Inter:bold"].map((pattern) =>
      execFileSync("fc-match", ["-f", "%{file}", pattern], { encoding: "utf8" }),
    );
const renderer = new Renderer();
const weights = [400, 600, 700];
for (const [i, path] of fontPaths.entries()) {
  await renderer.registerFont({
    name: "Inter",
    data: readFileSync(path),
    weight: weights[i],
    style: "normal",
  });
}

// The image bytes go in every render's `images` (keyed by src), as a server would pass the
// assets it resolved; Takumi keeps decoded images in its own cache, as ogedge does.
const images = [
  { src: "avatar.png", data: readFileSync(args.avatar) },
  { src: "logo.png", data: readFileSync(args.logo) },
];

const box = (left, top, width, height) => ({ position: "absolute", left, top, width, height });
const container = (style, children = []) => ({ type: "container", style, children });
const text = (value, style) => ({ type: "text", text: value, style });

// templates/blog.toml, og layout: boxes in px on a 1200x630 canvas.
function card(title) {
  return container(
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
      container({
        ...box(1104 - 660, 31 - 660, 1320, 1320),
        backgroundImage: "radial-gradient(circle, rgba(199,146,255,0.22), rgba(199,146,255,0) 70%)",
      }),
      // logo: box [80, 60, 220, 48], contain, left
      {
        type: "image",
        src: "logo.png",
        style: { position: "absolute", left: 80, top: 60, height: 48, maxWidth: 220 },
      },
      // main stack: box [80, 136, 1040, 356], middle, gap 22
      container(
        {
          ...box(80, 136, 1040, 356),
          display: "flex",
          flexDirection: "column",
          justifyContent: "center",
          alignItems: "flex-start",
          gap: 22,
        },
        [
          container(
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
            [text(spec.tag)],
          ),
          text(title, {
            display: "block",
            width: 1040,
            fontSize: 62,
            fontWeight: 700,
            lineHeight: 1.12,
            letterSpacing: -1.2,
            lineClamp: 3,
            textWrap: "balance",
          }),
          text(spec.description, {
            display: "block",
            width: 980,
            fontSize: 27,
            fontWeight: 400,
            lineHeight: 1.4,
            color: P.muted,
            lineClamp: 2,
          }),
        ],
      ),
      // avatar: box [80, 524, 56, 56], circle, border 2 accent
      {
        type: "image",
        src: "avatar.png",
        width: 56,
        height: 56,
        style: {
          ...box(80, 524, 56, 56),
          objectFit: "cover",
          borderRadius: 28,
          border: `2px solid ${P.accent}`,
        },
      },
      // author: box [152, 524, 700, 56], middle
      container(
        {
          ...box(152, 524, 700, 56),
          display: "flex",
          alignItems: "center",
          fontSize: 24,
          fontWeight: 600,
        },
        [text(spec.author)],
      ),
      // rule: box [0, 622, 1200, 8], accent → accent2
      container({
        ...box(0, 622, 1200, 8),
        backgroundImage: `linear-gradient(90deg, ${P.accent}, ${P.accent2})`,
      }),
    ],
  );
}

function renderOnce(title, format) {
  const options = { width: 1200, height: 630, format, images };
  if (format in QUALITY) options.quality = QUALITY[format];
  return renderer.render(card(title), options);
}

if (args.cold) {
  writeFileSync(args.out, await renderOnce(spec.title, args.format));
  process.exit(0);
}

const iterations = Number(args.iterations);
const warmup = Number(args.warmup);
let n = Number(args.start);
const results = {};
for (const format of args.formats.split(",")) {
  for (let i = 0; i < warmup; i++) await renderOnce(`${spec.title} #${n++}`, format);
  const times = [];
  let data;
  for (let i = 0; i < iterations; i++) {
    const started = process.hrtime.bigint();
    data = await renderOnce(`${spec.title} #${n++}`, format);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  if (args["out-dir"] && data) writeFileSync(join(args["out-dir"], `takumi.${format}`), data);
  results[format] = { times_ms: times, bytes: data ? data.length : 0, quality: QUALITY[format] };
}
console.log(
  JSON.stringify({
    engine: "takumi",
    version: JSON.parse(
      readFileSync(new URL("node_modules/@takumi-rs/core/package.json", import.meta.url)),
    ).version,
    node: process.version,
    threads: {
      RAYON_NUM_THREADS: process.env.RAYON_NUM_THREADS ?? null,
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? null,
    },
    iterations,
    warmup,
    fonts: fontPaths.map((path, i) => `${path} (${weights[i]})`),
    results,
  }),
);
