// A built set drawn with d3: BPM (left axis) and energy (right axis) per position, the energy target dashed,
// each track's key above its point and each transition's key move between the points.
import { select } from "d3-selection";
import { scaleLinear, scalePoint } from "d3-scale";
import { line, curveMonotoneX } from "d3-shape";
import { axisBottom, axisLeft, axisRight } from "d3-axis";

export function drawSetChart(container, set) {
  const width = 400, height = 230, m = { top: 28, right: 34, bottom: 26, left: 36 };
  const tracks = set.tracks;
  const x = scalePoint().domain(tracks.map((t) => t.position)).range([m.left, width - m.right]).padding(0.4);
  const bpms = tracks.map((t) => t.bpm).filter((b) => b != null);
  const lo = Math.min(...bpms), hi = Math.max(...bpms);
  const y = scaleLinear().domain([Math.floor(lo - 2), Math.ceil(hi + 2)]).range([height - m.bottom, m.top]);
  const e = scaleLinear().domain([0, 1]).range([height - m.bottom, m.top]);
  const svg = select(container).append("svg").attr("class", "chart").attr("viewBox", `0 0 ${width} ${height}`)
    .attr("role", "img").attr("aria-label", "BPM and energy curves of the set");
  svg.append("g").attr("class", "axis").attr("transform", `translate(0,${height - m.bottom})`).call(axisBottom(x));
  svg.append("g").attr("class", "axis").attr("transform", `translate(${m.left},0)`).call(axisLeft(y).ticks(5));
  svg.append("g").attr("class", "axis").attr("transform", `translate(${width - m.right},0)`).call(axisRight(e).ticks(5));
  svg.append("text").attr("x", m.left).attr("y", 12).attr("fill", "#4fc3f7").attr("font-size", 10).text("BPM");
  svg.append("text").attr("x", width - m.right).attr("y", 12).attr("fill", "#ff7a45").attr("font-size", 10)
    .attr("text-anchor", "end").text("energy");
  const bpmLine = line().defined((t) => t.bpm != null).x((t) => x(t.position)).y((t) => y(t.bpm)).curve(curveMonotoneX);
  const energyLine = line().defined((t) => t.energy != null).x((t) => x(t.position)).y((t) => e(t.energy)).curve(curveMonotoneX);
  const targetLine = line().defined((t) => t.target_energy != null).x((t) => x(t.position)).y((t) => e(t.target_energy));
  svg.append("path").attr("class", "target").attr("d", targetLine(tracks));
  svg.append("path").attr("class", "energy").attr("d", energyLine(tracks));
  svg.append("path").attr("class", "bpm").attr("d", bpmLine(tracks));
  svg.selectAll("circle.b").data(tracks.filter((t) => t.bpm != null)).join("circle")
    .attr("cx", (t) => x(t.position)).attr("cy", (t) => y(t.bpm)).attr("r", 3.5).attr("fill", "#4fc3f7")
    .append("title").text((t) => `${t.position}. ${t.artists} – ${t.title}: ${t.bpm} BPM, ${t.camelot}`);
  svg.selectAll("circle.e").data(tracks.filter((t) => t.energy != null)).join("circle")
    .attr("cx", (t) => x(t.position)).attr("cy", (t) => e(t.energy)).attr("r", 3).attr("fill", "#ff7a45");
  svg.selectAll("text.keylabel").data(tracks).join("text").attr("class", "keylabel")
    .attr("x", (t) => x(t.position)).attr("y", (t) => (t.bpm != null ? y(t.bpm) - 8 : m.top)).text((t) => t.camelot || "?");
  const hops = set.transitions.map((tr, i) => ({ ...tr, x: (x(tracks[i].position) + x(tracks[i + 1].position)) / 2 }));
  svg.selectAll("text.movelabel").data(hops).join("text").attr("class", "movelabel")
    .attr("x", (d) => d.x).attr("y", height - m.bottom - 6)
    .text((d) => (d.move || "").replace("same_key", "same").replace("adjacent", "adj").replace("relative", "rel")
      .replace("diagonal", "diag").replace("two_step", "2-step").replace("semitone", "semi"));
  return svg.node();
}
