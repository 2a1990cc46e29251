// The build output the C++ server relies on, and the widget's size budget.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildWeb, distDir } from './helpers/env.mjs';

const WIDGET_BUDGET = 50 * 1024;

test('dist has the layout the server serves', () => {
  buildWeb();
  for (const f of ['index.html', 'chat.html', 'widget.js']) {
    assert.ok(existsSync(join(distDir, f)), `dist/${f} exists`);
  }
  const assets = readdirSync(join(distDir, 'assets'));
  assert.ok(assets.some((f) => /\.js$/.test(f)), 'hashed JS in dist/assets');
  for (const f of assets) assert.match(f, /-[A-Za-z0-9_-]{6,}\.(js|css)$/, `${f} is hashed`);
  for (const page of ['index.html', 'chat.html']) {
    const html = readFileSync(join(distDir, page), 'utf8');
    // Absolute asset URLs: chat.html is served at /chat/{id}, so relative URLs would break.
    assert.match(html, /src="\/assets\/[^"]+\.js"/, `${page} loads its script from /assets/`);
    assert.doesNotMatch(html, /src="\.?\/?src\//, `${page} has no dev-only source paths`);
  }
});

test('widget.js is one self-contained classic script under the size budget', () => {
  buildWeb();
  const code = readFileSync(join(distDir, 'widget.js'));
  const gz = gzipSync(code, { level: 9 }).length;
  console.log(`widget.js: ${code.length} bytes, ${gz} bytes gzipped (budget ${WIDGET_BUDGET})`);
  assert.ok(gz < WIDGET_BUDGET, `widget.js gzipped is ${gz} bytes`);
  const text = code.toString('utf8');
  assert.doesNotMatch(text, /^\s*import[\s{*]/m, 'no ES module imports');
  assert.doesNotMatch(text, /\bimport\(/, 'no dynamic imports (it must be one file)');
  assert.doesNotMatch(text, /\/assets\//, 'no references to page assets');
  assert.match(text, /attachShadow/, 'renders in a shadow root');
});

test('no bundle writes HTML strings into the DOM', () => {
  buildWeb();
  const files = [join(distDir, 'widget.js'), ...readdirSync(join(distDir, 'assets')).filter((f) => f.endsWith('.js')).map((f) => join(distDir, 'assets', f))];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    assert.doesNotMatch(text, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write/, `${f} uses an HTML sink`);
  }
});
