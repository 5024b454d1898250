/**
 * How long the dashboard takes to draw 100,000 points per series, in the real (headless)
 * Chromium the tests use. Reports the median of several samples per scenario:
 *  - a Chart.js line chart with 4 series × 100k points: update + draw (LTTB decimation on, as shipped)
 *  - the same with decimation off (what decimation saves)
 *  - the dashboard end to end: an `init` message with one run of 100k records → all 4 charts drawn,
 *    and the same with the 20k records the host sends after thinMetricRecords
 *    (message decoding, bounded buffers, smoothing, decimation, drawing)
 *  - appending 100 points to a 100k-point run → redrawn (includes the frame wait and the
 *    redraw pacing the dashboard applies when a redraw is expensive)
 * Usage: node --import tsx bench/webviewRender.ts
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { MAX_INIT_TRAIN_RECORDS } from '../src/core/webviewProtocol';
import { WebviewBrowser, type WebviewPage } from '../test/webview/harness';

export interface BenchResult {
  name: string;
  medianMs: number;
  samples: number[];
}

const SAMPLES = 7;
const POINTS = 100_000;

export async function benchWebviewRender(): Promise<BenchResult[]> {
  const browser = await WebviewBrowser.launch(['dashboard']);
  try {
    const view = await browser.open('dashboard');
    return [
      result(`line chart, 4 series × ${POINTS.toLocaleString('en-US')} points, LTTB decimation: update + draw`, await chartUpdate(view, true)),
      result(`line chart, 4 series × ${POINTS.toLocaleString('en-US')} points, no decimation: update + draw`, await chartUpdate(view, false)),
      result(`dashboard: init with ${POINTS.toLocaleString('en-US')} records → 4 charts drawn`, await dashboardInit(browser, POINTS)),
      result(
        `dashboard: init with ${MAX_INIT_TRAIN_RECORDS.toLocaleString('en-US')} records (host-thinned) → 4 charts drawn`,
        await dashboardInit(browser, MAX_INIT_TRAIN_RECORDS),
      ),
      result(`dashboard: append 100 points to a ${POINTS.toLocaleString('en-US')}-point run → redrawn`, await dashboardAppend(browser)),
    ];
  } finally {
    await browser.close();
  }
}

function result(name: string, samples: number[]): BenchResult {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { name, medianMs, samples };
}

/** Times chart.update('none') (which draws synchronously with animations off) on fresh arrays each sample. */
async function chartUpdate(view: WebviewPage, decimation: boolean): Promise<number[]> {
  return view.page.evaluate(
    ({ points, samples, decimation }) => {
      const chart = (window as any).__symlora.charts.get('loss');
      chart.options.plugins.decimation.enabled = decimation;
      const times: number[] = [];
      for (let s = 0; s < samples; s++) {
        chart.data.datasets = [0, 1, 2, 3].map((k) => ({
          label: `series ${k}`,
          borderColor: ['#3794ff', '#f14c4c', '#89d185', '#cca700'][k],
          data: Array.from({ length: points }, (_, i) => ({ x: i + 1, y: (k + 1) * Math.exp(-i / 30_000) + 0.05 * Math.sin(i * (s + 1)) })),
        }));
        const t0 = performance.now();
        chart.update('none');
        times.push(performance.now() - t0);
      }
      chart.options.plugins.decimation.enabled = true;
      chart.data.datasets = [];
      chart.update('none');
      return times;
    },
    { points: POINTS, samples: SAMPLES, decimation },
  );
}

/** From posting `init` (records built in the page) to the end of the frame that drew the charts. */
async function dashboardInit(browser: WebviewBrowser, points: number): Promise<number[]> {
  const times: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const view = await browser.open('dashboard');
    times.push(
      await view.page.evaluate(
        ({ points }) => {
          const records = Array.from({ length: points }, (_, i) => ({
            kind: 'train',
            step: i + 1,
            epoch: 0,
            time: (i + 1) / 50,
            loss: 2 * Math.exp(-i / 20_000) + 0.1 * Math.sin(i / 7) ** 2,
            accuracy: 1 - Math.exp(-i / 20_000),
            lr: 0.001,
            samplesPerSec: 1000 + (i % 97),
          }));
          const run = { id: 'bench', experiment: 'bench', status: 'running', adapterKind: 'symlora', rank: 4, seed: 1, trainableParams: 1, config: {} };
          const rendered = (window as any).__symlora.nextRender();
          const t0 = performance.now();
          window.postMessage({ type: 'init', runs: [run], metrics: { bench: records } }, '*');
          return rendered.then(() => performance.now() - t0);
        },
        { points },
      ),
    );
    await view.page.close();
  }
  return times;
}

async function dashboardAppend(browser: WebviewBrowser): Promise<number[]> {
  const view = await browser.open('dashboard');
  try {
    return await view.page.evaluate(
      async ({ points, samples }) => {
        const record = (i: number) => ({
          kind: 'train',
          step: i + 1,
          epoch: 0,
          time: (i + 1) / 50,
          loss: 2 * Math.exp(-i / 20_000),
          accuracy: 0.5,
          lr: 0.001,
          samplesPerSec: 1000,
        });
        const run = { id: 'bench', experiment: 'bench', status: 'running', adapterKind: 'symlora', rank: 4, seed: 1, trainableParams: 1, config: {} };
        const frame = () => new Promise((r) => requestAnimationFrame(r));
        window.postMessage({ type: 'init', runs: [run], metrics: { bench: Array.from({ length: points }, (_, i) => record(i)) } }, '*');
        await (window as any).__symlora.nextRender();
        await new Promise((r) => setTimeout(r, 200));
        const times: number[] = [];
        let next = points;
        for (let s = 0; s < samples; s++) {
          const batch = Array.from({ length: 100 }, () => record(next++));
          const rendered = (window as any).__symlora.nextRender();
          const t0 = performance.now();
          window.postMessage({ type: 'metrics', runId: 'bench', records: batch }, '*');
          await rendered;
          times.push(performance.now() - t0);
          await frame();
        }
        return times;
      },
      { points: POINTS, samples: SAMPLES },
    );
  } finally {
    await view.page.close();
  }
}

async function main(): Promise<void> {
  const results = await benchWebviewRender();
  const width = Math.max(...results.map((r) => r.name.length));
  console.log(`${'scenario'.padEnd(width)}  median ms  samples (ms)`);
  for (const r of results) console.log(`${r.name.padEnd(width)}  ${r.medianMs.toFixed(1).padStart(9)}  ${r.samples.map((t) => t.toFixed(0)).join(' ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
