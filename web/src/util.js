// Small DOM helpers: h("div.class", {attrs}, children) builds elements (text is always set as text, never HTML).
export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name || "div");
  if (classes.length) el.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function fmtBpm(bpm) { return bpm == null ? "? BPM" : `${Number(bpm).toFixed(1).replace(/\.0$/, "")} BPM`; }
export function trackName(t) { return t.artists ? `${t.artists} – ${t.title}` : t.title; }
export function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
export const MOVE_WORDS = {
  same_key: "same key", adjacent: "adjacent key", relative: "relative major/minor", diagonal: "diagonal move",
  two_step: "two steps", semitone: "semitone (energy boost)", clash: "key clash",
};
