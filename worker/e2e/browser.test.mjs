// The browser test of the serverless host: the sandbox page, served by
// the local Worker (wrangler dev), runs a lab scenario in headless
// Chromium, and a shared trace's link opens in it. Run by the Go e2e test
// (worker/e2e), which starts the Worker and sets WORKER_URL and
// SHARED_TRACE_ID. Screenshots go to ARTIFACTS_DIR (default worker/artifacts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const URL = process.env.WORKER_URL;
const ART = path.resolve(process.env.ARTIFACTS_DIR || path.join(here, '..', 'artifacts'));
let browser;

before(async () => {
  assert.ok(URL, 'set WORKER_URL to the local Worker');
  fs.mkdirSync(ART, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
});

after(async () => { await browser?.close(); });

async function open(url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  return { page, errors, close: () => context.close() };
}

test('the page from the Worker runs a lab scenario', async () => {
  const { page, errors, close } = await open(URL);
  if (await page.evaluate(() => window.raftlabPage.playing)) await page.click('#play');
  await page.waitForFunction(() => document.querySelectorAll('#scenario option').length >= 4, null, { timeout: 30000 });
  await page.click('#runScenario');
  await page.waitForFunction(() => window.raftlabPage.mode === 'replay', null, { timeout: 60000 });
  const r = await page.evaluate(() => window.raftlabPage.replay);
  assert.ok(r.events > 0);
  assert.match(await page.textContent('#modeText'), /passed/);
  await page.screenshot({ path: path.join(ART, 'worker-scenario.png') });
  assert.deepEqual(errors, []);
  await close();
});

test('a shared trace link opens the page on the trace', async () => {
  const id = process.env.SHARED_TRACE_ID;
  assert.ok(id, 'set SHARED_TRACE_ID');
  const { page, errors, close } = await open(`${URL}t/${id}`);
  await page.waitForFunction(() => window.raftlabPage.mode === 'replay', null, { timeout: 30000 });
  const r = await page.evaluate(() => window.raftlabPage.replay);
  assert.ok(r.events > 0);
  await page.screenshot({ path: path.join(ART, 'worker-shared-trace.png') });
  assert.deepEqual(errors, []);
  await close();
});
