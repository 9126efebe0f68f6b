// Charts as plain SVG: bars and lines over a few nice ticks. Each chart is an image for screen
// readers (`role="img"` with a summary of its data), each bar or point has a tooltip (`<title>`)
// with its period and value, and the drawing scales to the width of its container (viewBox).
// Everything is built with `svg()`; a name or a label is only ever a text node.

import { h, svg, formatNumber } from "./dom.js";

/** The drawing's width in viewBox units; it is shown at 100% of its container. */
const WIDTH = 720;
/** Roughly how wide one character of an 11px label is, in viewBox units. */
const CHAR = 6.4;
const NO_DATA = "No data in this range";

/**
 * Ticks from at most `min` to at least `max` in steps of 1, 2 or 5 times a power of ten, about
 * `count` of them; whole steps only when `integer`. `niceTicks(0, 87)` is [0, 20, 40, 60, 80, 100].
 */
export function niceTicks(min, max, { count = 4, integer = false } = {}) {
  let lo = Math.min(0, Number.isFinite(min) ? min : 0);
  let hi = Math.max(0, Number.isFinite(max) ? max : 0);
  if (hi === lo) hi = lo + 1;
  const raw = (hi - lo) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  // The 1-2-5 step nearest to the raw one (on a log scale), as d3 chooses.
  let step = (norm >= Math.sqrt(50) ? 10 : norm >= Math.sqrt(10) ? 5 : norm >= Math.sqrt(2) ? 2 : 1) * magnitude;
  if (integer && step < 1) step = 1;
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(digits)));
  return ticks;
}

const numberOf = (value) => {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
};

const textWidth = (text) => String(text).length * CHAR;

function truncate(text, max) {
  const s = String(text ?? "");
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

/**
 * Every `k`-th index gets a label so that labels `width` wide fit in `space`; `k` is the first of
 * `steps` (like 1, 6, 12, 24 for hours) that is large enough, if given.
 */
function labelEvery(count, width, space, steps) {
  const fit = Math.max(1, Math.floor(space / (width + 14)));
  const k = Math.max(1, Math.ceil(count / fit));
  const step = (steps || []).find((s) => s >= k);
  return step || k;
}

function frame(height, label, extraClass = "") {
  return svg("svg", {
    class: `chart${extraClass ? " " + extraClass : ""}`,
    viewBox: `0 0 ${WIDTH} ${height}`,
    width: "100%",
    preserveAspectRatio: "xMidYMid meet",
    role: "img",
    "aria-label": label,
    focusable: "false",
  });
}

function noData(chart, x, y, text) {
  chart.append(svg("text", { x, y, "text-anchor": "middle", class: "nodata" }, text || NO_DATA));
}

/** The y scale and its ticks for `values`, drawn between `top` and `bottom`. */
function yScale(values, top, bottom, count) {
  const integer = values.every((v) => Number.isInteger(v));
  const ticks = niceTicks(Math.min(...values, 0), Math.max(...values, 0), { count, integer });
  const lo = ticks[0];
  const hi = ticks[ticks.length - 1];
  const y = (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  return { ticks, y, lo, hi };
}

/** Horizontal grid lines with their tick labels on the left of `left`. */
function grid(chart, ticks, y, left, right, tickFormat) {
  const g = svg("g", { class: "y-axis", "aria-hidden": "true" });
  for (const t of ticks) {
    const at = y(t);
    g.append(
      svg("line", { class: t === 0 ? "axis" : "axis grid", x1: left, x2: right, y1: at, y2: at }),
      svg("text", { x: left - 8, y: at, dy: "0.35em", "text-anchor": "end" }, tickFormat(t)));
  }
  chart.append(g);
}

/** Labels under the plot, every `every`-th of `labels`, at `x(i)`, kept inside the drawing. */
/**
 * The value axis and grid of a column or line chart over `values` (one tick at 0 without data),
 * and the "no data" note when there is nothing to draw. Answers where the plot lies.
 */
function plotArea(chart, { values, hasData, height, ticksText, rightMargin, count, emptyText }) {
  const top = 12;
  const bottom = height - 26;
  const scale = hasData ? yScale(values, top, bottom, 4) : { ticks: [0], y: () => bottom };
  const left = 12 + Math.max(...scale.ticks.map((t) => textWidth(ticksText(t))));
  const right = WIDTH - rightMargin;
  grid(chart, scale.ticks, scale.y, left, right, ticksText);
  chart.append(svg("line", { class: "axis", x1: left, x2: left, y1: top, y2: bottom, "aria-hidden": "true" }));
  if (!count || !hasData) noData(chart, left + (right - left) / 2, (top + bottom) / 2, emptyText);
  return { top, bottom, scale, left, right, plot: right - left };
}

function xLabels(chart, labels, x, every, y) {
  const g = svg("g", { class: "x-axis", "aria-hidden": "true" });
  labels.forEach((label, i) => {
    if (i % every !== 0) return;
    const half = textWidth(label) / 2;
    const at = Math.min(Math.max(x(i), half + 2), WIDTH - half - 2);
    g.append(svg("text", { x: at, y, "text-anchor": "middle" }, label));
  });
  chart.append(g);
}

function extremes(points, format) {
  let max = points[0];
  let min = points[0];
  for (const p of points) {
    if (numberOf(p.value) > numberOf(max.value)) max = p;
    if (numberOf(p.value) < numberOf(min.value)) min = p;
  }
  return { max, min, text: `highest ${format(numberOf(max.value))} (${max.title || max.label}), lowest ${format(numberOf(min.value))} (${min.title || min.label})` };
}

function range(points) {
  if (!points.length) return "";
  const first = points[0].title || points[0].label;
  const last = points[points.length - 1].title || points[points.length - 1].label;
  return points.length === 1 ? ` for ${first}` : `, ${points.length} periods from ${first} to ${last}`;
}

/**
 * Vertical bars, one per point: `points` [{label, value, title?}] where `label` goes under the
 * bar and `title` (default `label`) names it in the tooltip. `format` writes a value,
 * `tickFormat` (default `format`) a tick; `labelSteps` are the label intervals allowed (every 6th,
 * 12th, 24th hour), if some read better than others. With `horizontal`, one row per point with its label on
 * the left and its value at the end of the bar (for names, like campaigns).
 */
export function barChart({ points = [], format = formatNumber, tickFormat, height = 220, title = "Chart", emptyText, horizontal = false, labelSteps } = {}) {
  if (horizontal) return horizontalBars({ points, format, title, emptyText });
  const ticksText = tickFormat || format;
  const values = points.map((p) => numberOf(p.value));
  const hasData = values.some((v) => v !== 0);
  const total = values.reduce((a, b) => a + b, 0);
  const label = !points.length
    ? `${title}: ${emptyText || NO_DATA}.`
    : !hasData
      ? `${title}${range(points)}: ${emptyText || NO_DATA}.`
      : `${title}${range(points)}: total ${format(total)}, ${extremes(points, format).text}.`;
  const chart = frame(height, label);
  const { top, bottom, scale, left, plot } = plotArea(chart, { values, hasData, height, ticksText, rightMargin: 8, count: points.length, emptyText });
  if (!points.length) return chart;
  const band = plot / points.length;
  const barWidth = band > 6 ? Math.min(band * 0.72, 48) : Math.max(band * 0.9, 0.5);
  const zero = scale.y(0);
  const bars = svg("g", { class: "bars" });
  points.forEach((p, i) => {
    const v = values[i];
    const x = left + band * i + (band - barWidth) / 2;
    const y = scale.y(Math.max(v, 0));
    const barHeight = Math.abs(scale.y(v) - zero);
    bars.append(svg("g", { class: "col" },
      svg("title", {}, `${p.title || p.label}: ${format(v)}`),
      svg("rect", { class: "hit", x: left + band * i, y: top, width: band, height: bottom - top }),
      v !== 0 ? svg("rect", { class: "bar", x, y: v >= 0 ? y : zero, width: barWidth, height: Math.max(barHeight, 1), rx: barWidth > 6 ? 2 : 0 }) : null));
  });
  if (hasData) chart.append(bars);
  const labels = points.map((p) => String(p.label ?? ""));
  const widest = Math.max(...labels.map(textWidth));
  xLabels(chart, labels, (i) => left + band * i + band / 2, labelEvery(points.length, widest, plot, labelSteps), height - 8);
  return chart;
}

function horizontalBars({ points, format, title, emptyText }) {
  const values = points.map((p) => numberOf(p.value));
  const hasData = values.some((v) => v !== 0);
  const row = 28;
  const top = 6;
  const height = Math.max(points.length, 2) * row + top * 2;
  // Row labels are 12px: a little wider per character than the 11px ticks.
  const shown = points.map((p) => truncate(p.label, 28));
  const rowWidth = (text) => String(text).length * 7.2;
  const summary = hasData
    ? `${title}: ${points.map((p, i) => `${p.title || p.label} ${format(values[i])}`).join("; ")}.`
    : `${title}: ${emptyText || NO_DATA}.`;
  const chart = frame(height, summary, "horizontal");
  const left = 10 + Math.max(40, ...shown.map(rowWidth));
  const valueRoom = 12 + Math.max(...values.map((v) => rowWidth(format(v))), 20);
  const right = WIDTH - valueRoom;
  const max = Math.max(...values, 0);
  const bottom = height - top;
  chart.append(svg("line", { class: "axis", x1: left, x2: left, y1: top, y2: bottom, "aria-hidden": "true" }));
  if (!hasData) {
    noData(chart, left + (right - left) / 2, height / 2 + 4, emptyText);
    return chart;
  }
  points.forEach((p, i) => {
    const v = Math.max(values[i], 0);
    const y = top + row * i;
    const w = max > 0 ? (v / max) * (right - left) : 0;
    chart.append(svg("g", { class: "col" },
      svg("title", {}, `${p.title || p.label}: ${format(values[i])}`),
      svg("rect", { class: "hit", x: 0, y, width: WIDTH, height: row }),
      svg("text", { x: left - 8, y: y + row / 2, dy: "0.35em", "text-anchor": "end", class: "row-label" }, shown[i]),
      svg("rect", { class: "bar", x: left, y: y + row * 0.18, width: Math.max(w, v > 0 ? 1 : 0), height: row * 0.64, rx: 2 }),
      svg("text", { x: left + w + 6, y: y + row / 2, dy: "0.35em", class: "value-label" }, format(values[i]))));
  });
  return chart;
}

/**
 * Lines over the same periods: `series` [{name, points: [{label, value, title?}]}], at most two;
 * the second is drawn `.second`. A single series gets a filled area under its line. `format`,
 * `tickFormat`, `labelSteps` and `emptyText` as for `barChart`.
 */
export function lineChart({ series = [], format = formatNumber, tickFormat, height = 220, title = "Chart", emptyText, labelSteps } = {}) {
  const lines = series.slice(0, 2).map((s) => ({ name: s.name, points: s.points || [], values: (s.points || []).map((p) => numberOf(p.value)) }));
  const ticksText = tickFormat || format;
  const base = lines.reduce((a, s) => (s.points.length > a.length ? s.points : a), []);
  const all = lines.flatMap((s) => s.values);
  const hasData = all.some((v) => v !== 0);
  const described = lines.map((s) => {
    if (!s.points.length) return `${s.name}: no data`;
    const last = s.values[s.values.length - 1];
    return `${s.name}: ${extremes(s.points, format).text}, last ${format(last)}`;
  });
  const label = !base.length
    ? `${title}: ${emptyText || NO_DATA}.`
    : !hasData
      ? `${title}${range(base)}: ${emptyText || NO_DATA}.`
      : `${title}${range(base)}. ${described.join(". ")}.`;
  const chart = frame(height, label);
  const labels = base.map((p) => String(p.label ?? ""));
  const widest = labels.length ? Math.max(...labels.map(textWidth)) : 0;
  // Room on the right for half of the last label, which is centred on the last point.
  const rightMargin = Math.max(10, Math.min(widest / 2, 40));
  const { top, bottom, scale, left, right, plot } = plotArea(chart, { values: all, hasData, height, ticksText, rightMargin, count: base.length, emptyText });
  if (!base.length) return chart;
  const n = base.length;
  const step = n > 1 ? plot / (n - 1) : 0;
  const x = (i) => (n > 1 ? left + step * i : left + plot / 2);
  if (hasData) {
    lines.forEach((s, k) => {
      if (!s.values.length) return;
      const d = s.values.map((v, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${scale.y(v).toFixed(1)}`).join("");
      if (lines.length === 1 && n > 1) {
        chart.append(svg("path", { class: "area", d: `${d}L${x(n - 1).toFixed(1)},${scale.y(0).toFixed(1)}L${x(0).toFixed(1)},${scale.y(0).toFixed(1)}Z`, "aria-hidden": "true" }));
      }
      chart.append(svg("path", { class: k ? "line second" : "line", d, "aria-hidden": "true" }));
    });
    const dots = n <= 62;
    const cols = svg("g", { class: "points" });
    for (let i = 0; i < n; i++) {
      const tip = `${base[i].title || base[i].label}: ${lines
        .map((s) => (i < s.values.length ? `${lines.length > 1 ? s.name + " " : ""}${format(s.values[i])}` : null))
        .filter(Boolean).join(", ")}`;
      const from = Math.max(left, x(i) - (step || plot) / 2);
      const to = Math.min(right, x(i) + (step || plot) / 2);
      cols.append(svg("g", { class: "col" },
        svg("title", {}, tip),
        svg("rect", { class: "hit", x: from, y: top, width: Math.max(to - from, 1), height: bottom - top }),
        svg("line", { class: "guide", x1: x(i), x2: x(i), y1: top, y2: bottom }),
        lines.map((s, k) => (i < s.values.length
          ? svg("circle", { class: `dot${k ? " second" : ""}${dots ? "" : " hover-only"}`, cx: x(i), cy: scale.y(s.values[i]), r: 3 })
          : null))));
    }
    chart.append(cols);
  }
  xLabels(chart, labels, x, labelEvery(n, widest, plot, labelSteps), height - 8);
  return chart;
}

/** The key of a chart's lines (HTML, to go above the chart): one swatch and name per series. */
export function chartLegend(names) {
  return h("div", { class: "legend", "aria-hidden": "true" },
    names.slice(0, 2).map((name, k) => h("span", {}, h("span", { class: k ? "swatch second" : "swatch" }), name)));
}
