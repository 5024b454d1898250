import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { buildCsp, makeNonce, renderWebviewHtml, INITIAL_STATE_ELEMENT_ID } from '../../src/extension/webviews/html';
import { parseWebviewMessage, resolveRunDir, WebviewMessageError } from '../../src/extension/webviews/validateMessage';

const CSP_SOURCE = 'https://*.vscode-cdn.net';
const base = () => ({
  title: 'SymLoRA <Dashboard>',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/dashboard.js',
  styleUris: ['https://file+.vscode-resource.vscode-cdn.net/ext/media/css/webview.css'],
  cspSource: CSP_SOURCE,
  nonce: makeNonce(),
});

function cspOf(html: string): string {
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(match, 'no CSP meta tag');
  return match[1].replace(/&#39;/g, "'");
}

test('CSP is strict: no unsafe-*, no wildcard, no remote origin besides the webview source', () => {
  const options = base();
  const csp = cspOf(renderWebviewHtml(options));
  assert.equal(csp, buildCsp(CSP_SOURCE, options.nonce));
  assert.doesNotMatch(csp, /unsafe-/);
  const directives = Object.fromEntries(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([k, ...v]) => [k, v]),
  );
  assert.deepEqual(directives['default-src'], ["'none'"]);
  assert.deepEqual(directives['script-src'], [`'nonce-${options.nonce}'`]);
  assert.deepEqual(directives['style-src'], [CSP_SOURCE, `'nonce-${options.nonce}'`]);
  assert.deepEqual(directives['img-src'], [CSP_SOURCE, 'data:']);
  assert.deepEqual(directives['font-src'], [CSP_SOURCE]);
  const sources = Object.values(directives)
    .flat()
    .filter((s) => /^https?:/.test(s));
  assert.deepEqual([...new Set(sources)], [CSP_SOURCE]);
});

test('every script tag carries the nonce; no inline handlers; no http(s) URL outside the given ones', () => {
  const options = base();
  const html = renderWebviewHtml({ ...options, initialState: { selected: ['a'], evil: '</script><script>alert(1)</script>' } });
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  assert.equal(scripts.length, 2);
  for (const tag of scripts) assert.ok(tag.includes(`nonce="${options.nonce}"`), tag);
  assert.equal((html.match(/<\/script>/g) ?? []).length, 2, 'the initial state closed a script element');
  assert.doesNotMatch(html, /\son[a-z]+=/i);
  const urls = (html.match(/https?:\/\/[^\s"'<>;]+/g) ?? []).filter((u) => u !== CSP_SOURCE);
  assert.deepEqual(urls.sort(), [options.scriptUri, ...options.styleUris].sort());
  const state = new RegExp(`<script type="application/json" id="${INITIAL_STATE_ELEMENT_ID}"[^>]*>(.*?)</script>`).exec(html);
  assert.ok(state);
  assert.deepEqual(JSON.parse(state[1]), { selected: ['a'], evil: '</script><script>alert(1)</script>' });
  assert.match(html, /<title>SymLoRA &lt;Dashboard&gt;<\/title>/);
});

test('nonces are fresh and long; bad nonce / cspSource / URIs are refused', () => {
  const nonces = new Set(Array.from({ length: 50 }, makeNonce));
  assert.equal(nonces.size, 50);
  for (const n of nonces) assert.ok(n.length >= 22);
  assert.throws(() => renderWebviewHtml({ ...base(), nonce: 'abc' }), /nonce/);
  assert.throws(() => renderWebviewHtml({ ...base(), cspSource: "x; script-src 'unsafe-inline'" }), /cspSource/);
  assert.throws(() => renderWebviewHtml({ ...base(), cspSource: '*' }), /cspSource/);
  assert.throws(() => renderWebviewHtml({ ...base(), scriptUri: 'a" onload="x' }), /scriptUri/);
  // code-server's form of cspSource is accepted.
  assert.match(renderWebviewHtml({ ...base(), cspSource: "'self' https://x.example" }), /style-src 'self' https:\/\/x.example/);
});

test('valid messages parse to themselves', () => {
  const good = [
    { type: 'ready' },
    { type: 'selectRuns', runIds: ['run-1', 'mnist_r8.seed1'] },
    { type: 'openRun', runId: '2026-11-24T01-02-03_abc' },
    { type: 'exportFile', format: 'csv', suggestedName: 'compare.csv', content: 'a,b\n1,2\n' },
    { type: 'exportFile', format: 'markdown', suggestedName: 'compare (3 runs).md', content: '| a |' },
    { type: 'exportFile', format: 'png', suggestedName: 'curves.png', content: 'data:image/png;base64,iVBORw0KGgo=' },
    { type: 'log', level: 'warn', message: 'hello' },
  ];
  for (const message of good) assert.deepEqual(parseWebviewMessage(message), message);
});

test('path traversal and malformed ids are rejected with the field named', () => {
  const traversal = ['..', '../../etc', '../x', 'a/../../b', 'a/b', 'a\\b', '..\\..\\x', '', 'x..y', '/abs', 'run id', 'ü', 'a\0b', '%2e%2e'];
  for (const id of traversal) {
    assert.throws(
      () => parseWebviewMessage({ type: 'openRun', runId: id }),
      (e: Error) => e instanceof WebviewMessageError && /runId/.test(e.message),
      id,
    );
    assert.throws(() => parseWebviewMessage({ type: 'selectRuns', runIds: ['ok', id] }), /runIds\[1\]/, id);
    assert.throws(() => resolveRunDir('/tmp/runs', id), WebviewMessageError, id);
  }
  assert.equal(resolveRunDir('/tmp/runs', 'run-1'), path.resolve('/tmp/runs/run-1'));
  for (const name of ['../x.csv', '/etc/passwd.csv', 'a/b.csv', '..csv', '.hidden.csv', 'C:\\x.csv']) {
    assert.throws(() => parseWebviewMessage({ type: 'exportFile', format: 'csv', suggestedName: name, content: '' }), /suggestedName/, name);
  }
});

test('wrong shapes and values are rejected with the field named', () => {
  const bad: [unknown, RegExp][] = [
    [null, /message must be an object/],
    ['ready', /message must be an object/],
    [[{ type: 'ready' }], /message must be an object/],
    [{}, /type is not a known message type/],
    [{ type: 'deleteRun', runId: 'x' }, /type is not a known/],
    [{ type: 'ready', extra: 1 }, /extra is not allowed/],
    [{ type: 'selectRuns' }, /runIds is missing/],
    [{ type: 'selectRuns', runIds: 'a' }, /runIds must be an array/],
    [{ type: 'selectRuns', runIds: [1] }, /runIds\[0\]/],
    [{ type: 'selectRuns', runIds: Array(1001).fill('a') }, /more than 1000/],
    [{ type: 'openRun', runId: 5 }, /runId is not a valid run id/],
    [{ type: 'exportFile', format: 'exe', suggestedName: 'x.exe', content: '' }, /format must be one of/],
    [{ type: 'exportFile', format: 'csv', suggestedName: 'x.md', content: '' }, /must end with .csv/],
    [{ type: 'exportFile', format: 'csv', suggestedName: 'x.csv', content: 5 }, /content must be a string/],
    [{ type: 'exportFile', format: 'png', suggestedName: 'x.png', content: 'data:text/html,<b>' }, /content must be a data:image\/png/],
    [{ type: 'exportFile', format: 'csv', suggestedName: 'x.csv' }, /content is missing/],
    [{ type: 'log', level: 'fatal', message: 'x' }, /level must be one of/],
    [{ type: 'log', level: 'info', message: 'x'.repeat(10_001) }, /more than 10000/],
  ];
  for (const [raw, pattern] of bad) assert.throws(() => parseWebviewMessage(raw), pattern, JSON.stringify(raw)?.slice(0, 60));
});

test('duplicate run ids are collapsed', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'selectRuns', runIds: ['a', 'b', 'a'] }), { type: 'selectRuns', runIds: ['a', 'b'] });
});
