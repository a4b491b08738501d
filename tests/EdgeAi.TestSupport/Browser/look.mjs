// What a reader sees of a notebook page, for notebook_ui.mjs and notebook_view.mjs; and the browser they use.
import puppeteer from 'puppeteer-core';

// Debian's Chromium (no browser download).
export const launch = () => puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});

// JupyterLab restores the workspace's other notebooks as tabs, and under load may bring one of them to the front
// after the one asked for has opened (seen in CI): put the notebook at PATH in front by its tab, and check it stays.
export async function inFront(page, path) {
  const name = path.split('/').pop();
  const front = () => page.evaluate(n =>
    document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel')?.textContent.trim() === n, name);
  for (let attempt = 0; attempt < 10; attempt++) {
    if (await front()) {
      await new Promise(r => setTimeout(r, 1000));
      if (await front()) return;
    }
    const tab = await page.evaluateHandle(n => [...document.querySelectorAll('#jp-main-dock-panel .lm-TabBar-tab')]
      .find(t => t.querySelector('.lm-TabBar-tabLabel')?.textContent.trim() === n) ?? null, name);
    if (tab.asElement()) await tab.asElement().click();
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(`JupyterLab did not keep ${name} in front`);
}

// What a reader sees: each chart drawn (an SVG with plotted data) or its static picture, the digit images, error
// outputs, and whether the notebook is trusted.
export function look() {
  // JupyterLab may restore other notebooks in hidden tabs: only the one in front counts.
  const root = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)') ?? document;
  const charts = [...root.querySelectorAll('.edgeai-chart')];
  const drawn = charts.filter(c => c.querySelector("svg.main-svg .plot :is(path, image)"));   // lines, bars, heatmaps
  const pictures = charts.filter(c => [...c.querySelectorAll('img')].some(i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().height > 0));
  const images = [...root.querySelectorAll('img[src^="data:image/png"]')].filter(i => !i.closest('.edgeai-chart'));
  const errors = [...root.querySelectorAll('.output_error, .output_stderr, .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')]
    .map(e => e.textContent.slice(0, 400));
  const prompts = [...root.querySelectorAll('.input_prompt, .jp-InputPrompt')].map(p => p.textContent.trim());
  return {
    charts: charts.length, chartsDrawn: drawn.length, chartsAsPictures: pictures.length,
    chartsVisible: charts.filter(c => drawn.includes(c) || pictures.includes(c)).length,
    images: images.length, imagesShown: images.filter(i => i.complete && i.naturalWidth > 0).length,
    errors, prompts,
    trusted: window.Jupyter?.notebook?.trusted ?? null,
  };
}
