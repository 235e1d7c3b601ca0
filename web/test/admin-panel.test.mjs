import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Window } from 'happy-dom';
import { chooseApi, keyEntry, savedKeyFor } from '../src/admin-api.js';

const panelHtml = (await readFile(new URL('../src/admin-panel.html', import.meta.url), 'utf8'))
  .replace(/<script[^>]*><\/script>/, ''); // the test imports the module itself
const at = (href) => new URL(href);

test('without ?api= the API is the page itself', () => {
  assert.deepEqual(chooseApi(at('https://panel.test/admin-panel.html'), ''), { baseUrl: 'https://panel.test', origin: 'https://panel.test' });
});

test('?api= may name the page itself or an allowed API, with its path', () => {
  assert.deepEqual(chooseApi(at('https://panel.test/a.html?api=https://panel.test/'), ''), { baseUrl: 'https://panel.test', origin: 'https://panel.test' });
  assert.deepEqual(chooseApi(at('https://panel.test/a.html?api=https://api.test/prod/'), 'https://other.test https://api.test'),
    { baseUrl: 'https://api.test/prod', origin: 'https://api.test' });
});

test('?api= naming any other origin is refused and says which are allowed', () => {
  for (const api of ['https://evil.test', 'http://api.test', 'https://api.test:8443', 'https://api.test.evil.test', 'javascript:alert(1)', 'not a url', '//evil.test']) {
    const chosen = chooseApi(at(`https://panel.test/a.html?api=${encodeURIComponent(api)}`), 'https://api.test');
    assert.ok(chosen.error, `${api} was allowed`);
    assert.match(chosen.error, /may name only https:\/\/panel\.test or https:\/\/api\.test\.$/);
  }
});

test('a saved key is used again only for the API that accepted it', () => {
  assert.equal(savedKeyFor(keyEntry('https://api.test', 'k1'), 'https://api.test'), 'k1');
  assert.equal(savedKeyFor(keyEntry('https://api.test', 'k1'), 'https://panel.test'), null);
  assert.equal(savedKeyFor('k1', 'https://api.test'), null); // saved in the old form: no API to match
  assert.equal(savedKeyFor(null, 'https://api.test'), null);
});

let opened = 0;

/**
 * The admin panel in happy-dom at `url`, with a saved key and the page's allow-list; every fetch is recorded and
 * refused with 401, so a call that carries a key is visible and leads nowhere.
 */
async function openPanel(url, { allowed = '', saved = null } = {}) {
  const window = new Window({ url, settings: { disableJavaScriptFileLoading: true, disableJavaScriptEvaluation: true } });
  window.document.write(panelHtml);
  window.document.documentElement.dataset.allowedApis = allowed;
  if (saved !== null) window.sessionStorage.setItem('inventory-admin-key', saved);
  const calls = [];
  Object.assign(globalThis, {
    window, document: window.document, location: window.location, sessionStorage: window.sessionStorage, CSS: window.CSS,
    fetch: async (target, init) => {
      calls.push({ url: String(target), key: init?.headers?.['x-api-key'] });
      return new Response(JSON.stringify({ status: 401, code: 'unauthorized', detail: 'no' }), { status: 401, headers: { 'content-type': 'application/problem+json' } });
    },
  });
  await import(`../src/admin-panel.js?panel=${++opened}`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { window, calls, $: (selector) => window.document.querySelector(selector) };
}

async function submitKey(panel, key) {
  panel.$('#key').value = key;
  panel.$('#login-form').dispatchEvent(new panel.window.Event('submit', { cancelable: true }));
  await new Promise((resolve) => setTimeout(resolve, 50));
}

test('the panel opened with ?api= naming another host sends no key there, saved or typed', async () => {
  const panel = await openPanel('https://panel.test/admin-panel.html?api=https://evil.test', { saved: keyEntry('https://evil.test', 'admin-key') });
  await submitKey(panel, 'typed-key');

  assert.deepEqual(panel.calls, []);
  assert.match(panel.$('#login-error').textContent, /does not send keys to https:\/\/evil\.test/);
  assert.equal(panel.$('#login-form button').disabled, true);
  await panel.window.happyDOM.close();
});

test('a key saved for this page is not sent unasked to an allowed API of another origin, a typed one is', async () => {
  const panel = await openPanel('https://panel.test/admin-panel.html?api=https://api.test/prod', {
    allowed: 'https://api.test', saved: keyEntry('https://panel.test', 'saved-key'),
  });
  assert.deepEqual(panel.calls, []);

  await submitKey(panel, 'typed-key');

  assert.deepEqual(panel.calls, [{ url: 'https://api.test/prod/inventory?limit=1', key: 'typed-key' }]);
  assert.equal(panel.$('#login-error').textContent, 'This key is not known to the service.');
  await panel.window.happyDOM.close();
});

test('a key saved for the API in use signs in again by itself', async () => {
  const panel = await openPanel('https://panel.test/admin-panel.html?api=https://api.test', {
    allowed: 'https://api.test', saved: keyEntry('https://api.test', 'saved-key'),
  });

  assert.deepEqual(panel.calls, [{ url: 'https://api.test/inventory?limit=1', key: 'saved-key' }]);
  await panel.window.happyDOM.close();
});
