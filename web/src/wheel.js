// The Camelot wheel (d3-shape arcs): B keys (major) outside, A keys (minor) inside, 1 at the top. Choosing a key
// shows the moves that mix from it, coloured by the strictness level that allows them.
import { select } from "d3-selection";
import { arc } from "d3-shape";
import { h, MOVE_WORDS } from "./util.js";

const LEVEL_COLOURS = { strict: "#5bd68a", normal: "#ffd166", relaxed: "#ff9f5a" };
const hue = (n) => `hsl(${((n - 1) * 30 + 90) % 360}, 62%, 62%)`;

export function drawWheel(container, movesContainer, api, onStatus) {
  const size = 360, r = size / 2;
  const svg = select(container).append("svg").attr("viewBox", `0 0 ${size} ${size}`).attr("width", size).attr("height", size);
  const g = svg.append("g").attr("transform", `translate(${r},${r})`);
  const rings = { B: [r * 0.66, r * 0.98], A: [r * 0.34, r * 0.64] };
  const segs = [];
  for (const letter of ["B", "A"]) {
    for (let n = 1; n <= 12; n++) {
      const start = ((n - 1) * 30 - 15) * Math.PI / 180, end = ((n - 1) * 30 + 15) * Math.PI / 180;
      const shape = arc().innerRadius(rings[letter][0]).outerRadius(rings[letter][1]).startAngle(start).endAngle(end)
        .padAngle(0.01).cornerRadius(3);
      segs.push({ code: `${n}${letter}`, n, letter, d: shape(), centroid: shape.centroid() });
    }
  }
  const paths = g.selectAll("path").data(segs).join("path").attr("class", "seg").attr("d", (s) => s.d)
    .attr("fill", (s) => hue(s.n)).attr("data-code", (s) => s.code).on("click", (_, s) => choose(s.code));
  g.selectAll("text").data(segs).join("text").attr("x", (s) => s.centroid[0]).attr("y", (s) => s.centroid[1]).text((s) => s.code);
  const centre = g.append("text").attr("y", 0).attr("font-size", 15).style("fill", "#e6e8ef");

  async function choose(code) {
    let key;
    try { key = await api.camelot(code); } catch (err) { onStatus(`Camelot ${code}: ${err.message}`, true); return; }
    const moves = new Map(key.compatible.map((m) => [m.camelot, m]));
    paths.attr("fill", (s) => (s.code === key.camelot ? "#ffffff" : moves.has(s.code) ? LEVEL_COLOURS[moves.get(s.code).strictness] || hue(s.n) : "#2a2f40"));
    centre.text(`${key.camelot} · ${key.short_name}`);
    movesContainer.replaceChildren(
      h("h2", {}, `${key.camelot} — ${key.name}`),
      h("div.facts", {}, h("span.chip.key", {}, key.camelot), h("span.chip", {}, `Open Key ${key.open_key}`), h("span.chip", {}, key.short_name)),
      h("div.legend-moves", {}, ...Object.entries(LEVEL_COLOURS).map(([level, c]) => h("span", { style: `color:${c}` }, `■ ${level}`))),
      h("h3", {}, "Mixes well into"),
      h("ul.list", { "data-testid": "wheel-moves" }, ...key.compatible.map((m) =>
        h("li", {}, h("span.chip.key", { style: `border-color:${LEVEL_COLOURS[m.strictness]};color:${LEVEL_COLOURS[m.strictness]}` }, m.camelot),
          " ", m.name, h("span.move", {}, ` ${MOVE_WORDS[m.move] || m.move} · allowed from “${m.strictness}” · score ${m.score}`)))),
    );
  }
  return { choose };
}
