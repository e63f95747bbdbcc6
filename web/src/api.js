// The graphsvc API as the explorer uses it. Ids are strings end to end: the API writes every id as a decimal
// string (a 64-bit id read as a JavaScript number loses its last digits), and the explorer never turns one
// into a number.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function call(path, options = {}) {
  const res = await fetch(path, { headers: { accept: "application/json", ...(options.headers || {}) }, ...options });
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { detail: text }; }
  if (!res.ok) throw new ApiError(res.status, (body && body.detail) || `${res.status} ${res.statusText}`);
  return body;
}

const q = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null)).toString();
const id = (value) => encodeURIComponent(String(value));

export const api = {
  searchTracks: (text, limit = 8) => call(`/v1/tracks?${q({ q: text, limit })}`),
  searchArtists: (text, limit = 6) => call(`/v1/artists?${q({ q: text, limit })}`),
  track: (t) => call(`/v1/tracks/${id(t)}`),
  artist: (a) => call(`/v1/artists/${id(a)}`),
  artistAnalytics: (a) => call(`/v1/artists/${id(a)}/analytics`),
  collaborations: (a, { depth = 1, minWeight = 1, limit = 150 } = {}) =>
    call(`/v1/artists/${id(a)}/collaborations?${q({ depth, min_weight: minWeight, limit, format: "graphology" })}`),
  collabPath: (a, b, k = 3) => call(`/v1/artists/${id(a)}/collaborations/path/${id(b)}?${q({ k, max_hops: 6 })}`),
  trackNeighbourhood: (t, { depth = 1, limit = 120 } = {}) =>
    call(`/v1/tracks/${id(t)}/neighbourhood?${q({ depth, limit, format: "graphology" })}`),
  recommendations: (t, { limit = 8, strictness = "any" } = {}) =>
    call(`/v1/tracks/${id(t)}/recommendations?${q({ limit, strictness })}`),
  harmonicPath: (a, b, { k = 3, maxLen = 8, strictness = "normal" } = {}) =>
    call(`/v1/tracks/${id(a)}/harmonic-path/${id(b)}?${q({ k, max_len: maxLen, strictness })}`),
  buildSet: (body) => call("/v1/sets", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  camelot: (code) => call(`/v1/camelot/${id(code)}`),
  wheel: () => call("/v1/camelot"),
  charts: (limit = 8) => call(`/v1/charts?${q({ limit })}`),
};
