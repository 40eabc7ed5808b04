// Load each HTML report in headless Chromium as a reader's browser would; print one JSON line per
// file: images (decoded or broken), console and page errors, failed requests, external links,
// page width and the visible text, and write a full-page screenshot.
// usage: node check.mjs NODE_HOME SCREENSHOT_DIR FILE.html ...
import { createRequire } from 'node:module';
import path from 'node:path';

const [home, shots, ...files] = process.argv.slice(2);
const require = createRequire(home + '/');
const chromiumModule = require('@sparticuz/chromium');
const chromium = chromiumModule.default ?? chromiumModule;
const puppeteer = require('puppeteer-core');
const browser = await puppeteer.launch({
  args: chromium.args, executablePath: await chromium.executablePath(), headless: true,
});
for (const file of files) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('requestfailed', (r) => errors.push('request failed: ' + r.url().slice(0, 80)));
  await page.goto('file://' + file, { waitUntil: 'load' });
  const info = await page.evaluate(() => ({
    images: [...document.images].map((i) => ({ ok: i.complete && i.naturalWidth > 0, alt: i.alt,
                                               shown: i.getBoundingClientRect().width })),
    tables: document.querySelectorAll('table').length,
    external: [...document.querySelectorAll('[src],[href]')]
      .map((e) => e.getAttribute('src') || e.getAttribute('href'))
      .filter((u) => /^(https?:)?\/\//.test(u)).length,
    width: document.documentElement.scrollWidth,
    text: document.body.innerText,
  }));
  const screenshot = path.join(shots, path.basename(path.dirname(file)) + '.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ file, errors, screenshot, ...info }));
  await page.close();
}
await browser.close();
