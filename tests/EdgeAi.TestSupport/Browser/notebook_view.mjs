// A reader opens a notebook without running it: a page of a Jupyter server (JupyterLab, classic Notebook) or a
// file such as nbconvert's HTML, optionally with JavaScript off. Prints one JSON line of what was seen (look.mjs);
// the C# test judges it. Screenshot: SHOT.png.
//   node notebook_view.mjs URL SHOT [--no-scripts]
import { look, launch, inFront } from './look.mjs';

const [url, shot, option] = process.argv.slice(2);
const browser = await launch();
const seen = { consoleErrors: [] };
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 4000 });
  if (option === '--no-scripts') await page.setJavaScriptEnabled(false);
  page.on('console', m => { if (m.type() === 'error') seen.consoleErrors.push(`${m.text()} (${m.location()?.url ?? ''})`); });
  await page.goto(url, { waitUntil: 'networkidle2', timeout: 120_000 });
  if (option !== '--no-scripts')
    await page.waitForFunction(() => document.querySelector('.jp-Notebook .jp-Cell, #notebook .cell'), { timeout: 120_000 });
  const lab = new URL(url).pathname.match(/\/lab\/tree\/(.+)$/);
  if (lab && option !== '--no-scripts') await inFront(page, decodeURIComponent(lab[1]));
  await new Promise(r => setTimeout(r, 4000));   // pictures decode, and any script that would draw has run
  seen.view = await page.evaluate(look);
  await page.screenshot({ path: `${shot}.png` });
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
