#!/usr/bin/env node
// Enforces DropLab's module boundaries (../shared/DESIGN.md §1, docs/ARCHITECTURE.md) by scanning the
// import specifiers of every source file: static imports, `export ... from`, `import x = require()`,
// `require()` and dynamic `import()`.
//
//   (a) src/engine/** is plain TypeScript: besides its own files it imports only the packages in
//       ENGINE_PACKAGES (pure JS, host-agnostic); no UI library, no ONNX runtime package, no Node builtin,
//       and nothing from src/app, src/state, src/cli or workers.
//   (b) src/app/** and src/state/** reach into the engine only through src/engine/api (and errors).
//   (c) onnxruntime-web is imported only by workers/ort-web.ts (and, for the Node tests that run the
//       engine on its wasm backend, only by their one runtime module tests/support/runtimes.ts);
//       onnxruntime-node only by src/cli/ort-node.ts (tests import that module, never the package). A Vite asset import (`...?url`) of a file inside
//       onnxruntime-web is exempt from (c): it yields a URL string, not a second runtime instance.
//
// Usage: node scripts/check-boundaries.mjs [root]   (root defaults to the current directory)
// Prints each violation as `file:line: message` and exits 1 if there is any. No dependencies.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SCAN_DIRS = ['src', 'workers', 'tests', 'e2e', 'bench', 'scripts', 'bin'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'test-results', '.venv', '__pycache__', '.cache', 'out']);
const EXTS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/** Bare packages the engine core may import. */
const ENGINE_PACKAGES = new Set(['@huggingface/tokenizers', 'fflate', 'hyparquet']);
/** Named explicitly so the message says why (all are also outside ENGINE_PACKAGES). */
const ENGINE_FORBIDDEN = new Set([
  'react',
  'react-dom',
  'zustand',
  'recharts',
  'comlink',
  'onnxruntime-web',
  'onnxruntime-node',
  'onnxruntime-common',
  '@huggingface/transformers',
]);
const ENGINE_PUBLIC = new Set(['src/engine/api', 'src/engine/errors']);
const ONLY_IMPORTER = {
  'onnxruntime-web': ['workers/ort-web.ts', 'tests/support/runtimes.ts'],
  'onnxruntime-node': ['src/cli/ort-node.ts'],
};
const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

/**
 * Blank out comments and regex literal bodies (keeping newlines, so line numbers hold) and note where
 * string literal bodies lie, so an `import` written inside a string or a regex is not taken for one.
 * Returns { code, strings: [start, end) ranges of string bodies in `code` }.
 */
export function stripComments(src) {
  const parts = [];
  const strings = [];
  let len = 0;
  const emit = (s) => {
    parts.push(s);
    len += s.length;
  };
  let i = 0;
  const n = src.length;
  // Whether a `/` here starts a regex literal (rough but adequate: after an operator or keyword).
  const regexCanStart = () => {
    let j = i - 1;
    while (j >= 0 && /\s/.test(src[j])) j--;
    if (j < 0) return true;
    const c = src[j];
    if ('(,=:[!&|?{};+-*%<>~^'.includes(c)) return true;
    const word = /([A-Za-z_$][\w$]*)$/.exec(src.slice(Math.max(0, j - 10), j + 1));
    return !!word && ['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'void', 'yield', 'await'].includes(word[1]);
  };
  while (i < n) {
    const c = src[i];
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      while (i < n && src[i] !== '\n') i++;
    } else if (c === '/' && d === '*') {
      i += 2;
      while (i < n && !(src[i] === '*' && src[i + 1] === '/')) {
        emit(src[i] === '\n' ? '\n' : ' ');
        i++;
      }
      i += 2;
    } else if (c === '"' || c === "'" || c === '`') {
      // Template literals: `${...}` bodies count as string (an import() there is not seen).
      const q = c;
      emit(c);
      i++;
      const bodyStart = len;
      while (i < n && src[i] !== q) {
        if (src[i] === '\\') {
          emit(src[i] + (src[i + 1] ?? ''));
          i += 2;
          continue;
        }
        if (src[i] === '\n' && q !== '`') break; // unterminated: stop at line end
        emit(src[i]);
        i++;
      }
      strings.push([bodyStart, len]);
      if (i < n && src[i] === q) {
        emit(q);
        i++;
      }
    } else if (c === '/' && regexCanStart()) {
      emit(c);
      i++;
      let inClass = false;
      while (i < n && src[i] !== '\n') {
        const r = src[i];
        i++;
        if (r === '\\') {
          emit('  ');
          i++;
          continue;
        }
        if (r === '/' && !inClass) {
          emit('/');
          break;
        }
        if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        emit(' ');
      }
    } else {
      emit(c);
      i++;
    }
  }
  return { code: parts.join(''), strings };
}

const PATTERNS = [
  // import x from 'm'; import {a} from 'm'; import type {A} from 'm'; export {a} from 'm'; export * from 'm'
  /\b(?:import|export)\s+(?:type\s+)?[^'"`;()]*?\bfrom\s*(['"])([^'"\n]+)\1/g,
  // import 'm' (side effect)
  /\bimport\s*(['"])([^'"\n]+)\1/g,
  // import('m'), require('m'), import x = require('m'), vi.mock('m') / vi.importActual('m')
  /\b(?:import|require|vi\.mock|vi\.doMock|vi\.importActual)\s*\(\s*(['"`])([^'"`\n$]+)\1/g,
];

/** [{ spec, line }] for every module specifier in a source text. */
export function findSpecifiers(src) {
  const { code, strings } = stripComments(src);
  // strings are in source order and disjoint: binary search for the one that may contain pos
  const inString = (pos) => {
    let lo = 0;
    let hi = strings.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (strings[mid][1] <= pos) lo = mid + 1;
      else if (strings[mid][0] > pos) hi = mid - 1;
      else return true;
    }
    return false;
  };
  const found = new Map();
  for (const re of PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(code); m; m = re.exec(code)) {
      if (inString(m.index)) continue;
      const at = m.index + m[0].lastIndexOf(m[2]);
      if (!found.has(at)) found.set(at, m[2]);
    }
  }
  const lineStarts = [0];
  for (let k = 0; k < code.length; k++) if (code[k] === '\n') lineStarts.push(k + 1);
  const lineOf = (pos) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  return [...found.entries()].sort((a, b) => a[0] - b[0]).map(([pos, spec]) => ({ spec, line: lineOf(pos) }));
}

/** 'react-dom/client' -> 'react-dom'; '@scope/x/y' -> '@scope/x'; 'node:fs' -> 'node:fs'. */
function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const isRelative = (spec) => spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..';
const withoutQuery = (spec) => spec.replace(/[?#].*$/, '');
const stripExt = (p) => p.replace(/\.(?:d\.)?(?:[cm]?[jt]sx?)$/, '').replace(/\/index$/, '');
const toPosix = (p) => p.split(sep).join('/');

function* walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) yield* walk(p);
    } else if (e.isFile() && EXTS.some((x) => e.name.endsWith(x))) {
      yield p;
    }
  }
}

/** Check one file (path relative to root, POSIX separators). Returns violation messages with lines. */
export function checkFile(rel, src) {
  const problems = [];
  const inEngine = rel.startsWith('src/engine/');
  const inUi = rel.startsWith('src/app/') || rel.startsWith('src/state/');
  for (const { spec, line } of findSpecifiers(src)) {
    const bare = withoutQuery(spec);
    const report = (msg) => problems.push({ file: rel, line, message: `${msg} (import '${spec}')` });
    if (isRelative(bare)) {
      const target = toPosix(relative('.', join(dirname(rel), bare)));
      const targetNoExt = stripExt(target);
      if (inEngine && !target.startsWith('src/engine/') && target !== 'src/engine') {
        report('engine core imports outside src/engine');
      }
      if (inUi && (target.startsWith('src/engine/') || target === 'src/engine') && !ENGINE_PUBLIC.has(targetNoExt)) {
        report('UI code may import from the engine only src/engine/api (and src/engine/errors)');
      }
      continue;
    }
    if (bare.startsWith('/')) {
      report('absolute import path');
      continue;
    }
    const pkg = packageName(bare);
    const isBuiltin = pkg.startsWith('node:') || NODE_BUILTINS.has(pkg);
    if (inEngine) {
      if (isBuiltin) report('engine core imports a Node builtin');
      else if (ENGINE_FORBIDDEN.has(pkg)) report(`engine core imports ${pkg} (inject it from the host instead)`);
      else if (!ENGINE_PACKAGES.has(pkg)) {
        report(`engine core imports ${pkg}; allowed packages: ${[...ENGINE_PACKAGES].join(', ')}`);
      }
    }
    const only = ONLY_IMPORTER[pkg];
    if (only && !only.includes(rel) && !(pkg === 'onnxruntime-web' && /\?url$/.test(spec))) {
      report(`${pkg} may be imported only by ${only.join(' or ')}`);
    }
  }
  return problems;
}

export function checkTree(root) {
  const problems = [];
  let files = 0;
  for (const d of SCAN_DIRS) {
    const top = join(root, d);
    try {
      if (!statSync(top).isDirectory()) continue;
    } catch {
      continue;
    }
    for (const abs of walk(top)) {
      files++;
      const rel = toPosix(relative(root, abs));
      problems.push(...checkFile(rel, readFileSync(abs, 'utf8')));
    }
  }
  return { files, problems };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const root = resolve(process.argv[2] ?? '.');
  const { files, problems } = checkTree(root);
  for (const p of problems) console.error(`${p.file}:${p.line}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`check-boundaries: ${problems.length} violation(s) in ${files} files`);
    process.exit(1);
  }
  console.log(`check-boundaries: ${files} files, no violations`);
}
