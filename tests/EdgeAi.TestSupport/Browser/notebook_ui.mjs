// A user in Debian's Chromium (driven by puppeteer-core, no browser download) opens a notebook of a running
// Jupyter server, runs all cells from the menu, saves, reloads, and looks again. Prints one JSON line of what was
// seen; the C# test judges it. Screenshots go to SHOTS-run.png and SHOTS-reloaded.png.
//   node notebook_ui.mjs classic|lab SERVER_URL TOKEN NOTEBOOK_PATH SHOTS
import { look, launch, inFront } from './look.mjs';

const [ui, server, token, path, shots] = process.argv.slice(2);
const classic = ui === 'classic';
const browser = await launch();
const seen = { consoleErrors: [], requestsElsewhere: [] };
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 4000 });   // tall: the notebook scrolls inside the page
  const origin = new URL(server).origin;
  page.on('console', m => { if (m.type() === 'error') seen.consoleErrors.push(`${m.text()} (${m.location()?.url ?? ''})`); });
  page.on('pageerror', e => seen.consoleErrors.push(`uncaught: ${e.message} at ${(e.stack ?? '').split('\n').slice(1, 4).map(l => l.trim()).join(' < ')}`));
  page.on('request', r => { if (/^(https?|wss?):/.test(r.url()) && new URL(r.url()).origin !== origin) seen.requestsElsewhere.push(r.url()); });

  const url = `${server}${classic ? 'notebooks' : 'lab/tree'}/${path}?token=${token}`;
  await page.goto(url, { waitUntil: 'networkidle2', timeout: 120_000 });
  await kernelIdle(page, 180_000);
  if (!classic) await inFront(page, path);

  // Run All from the menu, as a student does.
  if (classic) {
    await page.click('#celllink');
    await page.click('#run_all_cells > a');
  } else {
    // The menu bar is rebuilt while JupyterLab restores its layout: open the Run menu until its item shows.
    const runAll = ['runmenu:run-all', 'notebook:run-all-cells']   // JupyterLab 4.0, 4.1+
      .map(c => `.lm-MenuBar-menu li[data-command="${c}"]`).join(', ');
    await new Promise(r => setTimeout(r, 5000));
    let item = null;
    for (let attempt = 0; attempt < 20 && !item; attempt++) {
      await page.keyboard.press('Escape');
      for (const menu of await page.$$('.lm-MenuBar-item')) {
        if (await menu.evaluate(e => e.textContent.trim() === 'Run')) { await menu.click(); break; }
      }
      item = await page.waitForSelector(runAll, { visible: true, timeout: 1000 }).catch(() => null);
    }
    if (!item) { await page.screenshot({ path: `${shots}-no-menu.png` }); throw new Error('the Run menu did not open'); }
    await item.click();
  }
  await page.waitForFunction(classic ? classicRunning : labRunning, { timeout: 60_000 }).catch(() => {});
  await page.waitForFunction(classic ? classicDone : labDone, { timeout: 900_000, polling: 1000 });
  await new Promise(r => setTimeout(r, 2000));   // charts draw after their output arrives
  seen.run = await page.evaluate(look);
  await page.screenshot({ path: `${shots}-run.png` });

  // Save, reload, look again.
  await page.keyboard.down('Control'); await page.keyboard.press('KeyS'); await page.keyboard.up('Control');
  await page.waitForFunction(classic ? () => !Jupyter.notebook.dirty : () => !document.querySelector('.jp-mod-dirty'), { timeout: 60_000 });
  await page.reload({ waitUntil: 'networkidle2', timeout: 120_000 });
  await page.waitForFunction(classic ? () => window.Jupyter?.notebook?._fully_loaded : () => document.querySelector('.jp-Notebook .jp-Cell'), { timeout: 120_000 });
  if (!classic) await inFront(page, path);
  await new Promise(r => setTimeout(r, 4000));
  seen.reloaded = await page.evaluate(look);
  await page.screenshot({ path: `${shots}-reloaded.png` });
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));

async function kernelIdle(page, timeout) {
  await page.waitForFunction(classic
    ? () => window.Jupyter?.notebook?.kernel?.is_connected() && document.querySelector('#kernel_indicator_icon.kernel_idle_icon')
    : () => document.querySelector('.jp-Notebook .jp-Cell') && document.querySelector('#jp-main-statusbar')?.textContent.includes('| Idle'),
    { timeout, polling: 500 });
}

function classicRunning() { return [...document.querySelectorAll('.input_prompt')].some(p => p.textContent.includes('*')); }
function classicDone() {
  return ![...document.querySelectorAll('.input_prompt')].some(p => p.textContent.includes('*'))
    && document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null;
}
function labRunning() { return [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')].some(p => p.textContent.includes('*')); }
function labDone() {
  return ![...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')].some(p => p.textContent.includes('*'))
    && document.querySelector('#jp-main-statusbar')?.textContent.includes('| Idle');   // the current notebook's kernel
}
