#!/usr/bin/env node
// Lints the Cypher library (cypher/*.cypher) with Neo4j's own Cypher front-end
// (@neo4j-cypher/language-support: the ANTLR parser plus Neo4j's semantic analysis compiled to JS),
// against the graph schema of graphsvc/graph/model.py, in CYPHER 5 (the target is Neo4j 5.26 LTS).
//
// Usage: node tools/cypher-lint/lint.mjs [--schema schema.json] [FILE.cypher ...]
//   no files: every cypher/*.cypher of the repository
//   no --schema: runs `$GRAPHSVC_PYTHON -m graphsvc.graph.model` (default python3) from the repo root
//
// Besides Neo4j's diagnostics (syntax and semantic errors, deprecations, unknown labels, relationship
// types, properties, functions, procedures, impossible (:A)-[:R]->(:B) segments, undeclared
// parameters) it checks the library's own conventions:
//   - line 1 is `// <file name>: <what it does>`, line 2 is `// params: $name TYPE, ...` or `// params: none`
//   - a declared parameter the query never uses is an error (the front-end only flags the opposite)
//   - one statement per file, except files whose header has `// statements: several (...)`
// Output: `file:line:col severity message`, one per diagnostic; exit status 1 on ANY diagnostic.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  lintCypherQuery,
  parseParameters,
  parseStatementsStrs,
  testData,
} from '@neo4j-cypher/language-support';

const CYPHER_VERSION = 'CYPHER 5';
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');

// Sample values per declared type: the front-end only checks that a parameter exists.
const SAMPLE = {
  INTEGER: 1, FLOAT: 1.0, STRING: 's', BOOLEAN: true, DATE: '2020-01-01', MAP: {},
};

function sampleFor(type) {
  if (type.startsWith('LIST')) return [];
  return SAMPLE[type] ?? null;
}

export function loadSchema(schemaPath) {
  const text = schemaPath
    ? readFileSync(schemaPath, 'utf8')
    : execFileSync(process.env.GRAPHSVC_PYTHON || 'python3', ['-m', 'graphsvc.graph.model'], {
      cwd: REPO, encoding: 'utf8',
    });
  return JSON.parse(text);
}

// Built-in functions and procedures of Neo4j 5 as shipped with the package (taken from a real
// server); APOC and GDS are dropped because graphsvc does not require those plugins.
function builtIns(registry) {
  const out = {};
  for (const [name, sig] of Object.entries(registry?.[CYPHER_VERSION] ?? {})) {
    if (!name.startsWith('apoc.') && !name.startsWith('gds.')) out[name] = sig;
  }
  return { [CYPHER_VERSION]: out };
}

export function dbSchemaFor(schema, parameters) {
  const propertyKeys = new Set();
  for (const props of Object.values(schema.labels)) Object.keys(props).forEach((p) => propertyKeys.add(p));
  for (const rel of Object.values(schema.relationships)) Object.keys(rel.properties).forEach((p) => propertyKeys.add(p));
  return {
    labels: Object.keys(schema.labels),
    relationshipTypes: Object.keys(schema.relationships),
    propertyKeys: [...propertyKeys].sort(),
    graphSchema: Object.entries(schema.relationships).map(([relType, r]) => ({ from: r.start, to: r.end, relType })),
    functions: builtIns(testData.mockSchema.functions),
    procedures: builtIns(testData.mockSchema.procedures),
    parameters,
    defaultLanguage: CYPHER_VERSION,
    databaseNames: ['neo4j', 'system'],
    aliasNames: [],
    userNames: [],
    roleNames: [],
  };
}

const PARAM_RE = /^\$([A-Za-z_][A-Za-z0-9_]*)\s+([A-Z]+(?:<[A-Z<>, ]+>)?)/;

// Header: `// name: description`, `// params: $a INTEGER (1-3), $b LIST<STRING>` or `// params: none`.
export function parseHeader(text) {
  const problems = [];
  const lines = text.split('\n');
  const title = /^\/\/ ([a-z0-9_]+): \S/.exec(lines[0] ?? '');
  const paramsLine = /^\/\/ params: (.*)$/.exec(lines[1] ?? '');
  const params = {};
  if (!title) problems.push([1, 1, 'header line 1 must be `// <file name>: <what the query does>`']);
  if (!paramsLine) {
    problems.push([2, 1, 'header line 2 must be `// params: $name TYPE, ...` or `// params: none`']);
  } else if (paramsLine[1].trim() !== 'none') {
    // split on commas that are not inside <...> or (...)
    let depth = 0; let cur = ''; const parts = [];
    for (const ch of paramsLine[1]) {
      if (ch === '<' || ch === '(' || ch === '{') depth += 1;
      if (ch === '>' || ch === ')' || ch === '}') depth -= 1;
      if (ch === ',' && depth === 0) { parts.push(cur); cur = ''; } else cur += ch;
    }
    parts.push(cur);
    for (const part of parts) {
      const m = PARAM_RE.exec(part.trim());
      if (!m) problems.push([2, 1, `cannot read parameter declaration "${part.trim()}" (expected $name TYPE)`]);
      else params[m[1]] = m[2];
    }
  }
  const several = lines.slice(0, 12).some((l) => /^\/\/ statements: several\b/.test(l));
  return { name: title?.[1], params, several, problems };
}

export function lintFile(path, schema) {
  const text = readFileSync(path, 'utf8');
  const header = parseHeader(text);
  const out = header.problems.map(([line, col, message]) => ({ line, col, severity: 'error', message }));
  const expected = basename(path, '.cypher');
  if (header.name && header.name !== expected) {
    out.push({ line: 1, col: 1, severity: 'error', message: `header names "${header.name}" but the file is ${expected}.cypher` });
  }
  const parameters = Object.fromEntries(Object.entries(header.params).map(([k, t]) => [k, sampleFor(t)]));
  const { diagnostics } = lintCypherQuery(text, dbSchemaFor(schema, parameters), { consoleCommandsEnabled: false });
  for (const d of diagnostics) {
    out.push({
      line: d.range.start.line + 1,
      col: d.range.start.character + 1,
      severity: d.severity === 1 ? 'error' : d.severity === 2 ? 'warning' : 'info',
      message: d.message.replace(/\s+/g, ' '),
    });
  }
  const used = new Set(parseParameters(text, false).map((p) => p.replace(/^`|`$/g, '')));
  for (const name of Object.keys(header.params)) {
    if (!used.has(name)) out.push({ line: 2, col: 1, severity: 'error', message: `parameter $${name} is declared but never used` });
  }
  const statements = parseStatementsStrs(text).filter((s) => s.replace(/\/\/.*$/gm, '').trim().length > 0);
  if (statements.length === 0) out.push({ line: 1, col: 1, severity: 'error', message: 'no Cypher statement in file' });
  if (statements.length > 1 && !header.several) {
    out.push({ line: 1, col: 1, severity: 'error', message: `${statements.length} statements in one file; one query per file (only headers with "// statements: several" may hold more)` });
  }
  return out.sort((a, b) => a.line - b.line || a.col - b.col);
}

function main(argv) {
  let schemaPath;
  const files = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--schema') { schemaPath = argv[i + 1]; i += 1; } else files.push(argv[i]);
  }
  if (files.length === 0) {
    const dir = join(REPO, 'cypher');
    readdirSync(dir).filter((f) => f.endsWith('.cypher')).sort().forEach((f) => files.push(join(dir, f)));
  }
  const schema = loadSchema(schemaPath);
  let count = 0;
  for (const file of files) {
    const shown = relative(process.cwd(), resolve(file)) || file;
    for (const d of lintFile(file, schema)) {
      count += 1;
      console.log(`${shown}:${d.line}:${d.col} ${d.severity} ${d.message}`);
    }
  }
  console.error(`cypher-lint: ${files.length} file(s), ${count} diagnostic(s) (${CYPHER_VERSION})`);
  return count === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
