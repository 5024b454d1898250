import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerSpectrum, SpectrumRecord } from '../../src/core/protocol';
import { WebviewBrowser, nextFrames, type WebviewPage } from './harness';

let browser: WebviewBrowser;
before(async () => {
  browser = await WebviewBrowser.launch(['inspector']);
});
after(async () => {
  await browser?.close();
});

/** Spectra of a 3-layer adapter at a training step: two SymLoRA layers (signed λ) and a LoRA one. */
function layersAt(step: number): LayerSpectrum[] {
  const grow = step / 400;
  const sym = (name: string, lambdas: number[]): LayerSpectrum => {
    const eigenvalues = lambdas.map((l) => l * grow).sort((a, b) => Math.abs(b) - Math.abs(a));
    const singularValues = eigenvalues.map(Math.abs);
    const total = singularValues.reduce((s, v) => s + v * v, 0);
    return {
      layer: name,
      adapter: 'symlora',
      eigenvalues,
      singularValues,
      orthogonalityError: 1e-7 * grow,
      effectiveRank: 2.5,
      relativeNorm: 0.01 * grow,
      energy: singularValues.map((_, k) => singularValues.slice(0, k + 1).reduce((s, v) => s + v * v, 0) / total),
      alignment: [0.8, 0.5],
    };
  };
  return [
    sym('layers.0.dense', [0.8, -0.5, 0.3, -0.1]),
    sym('layers.1.dense', [-0.6, 0.4, 0.2, 0.05]),
    {
      layer: 'head',
      adapter: 'lora',
      eigenvalues: [0.7 * grow, -0.2 * grow],
      singularValues: [0.9 * grow, 0.3 * grow],
      effectiveRank: 1.6,
      relativeNorm: 0.02 * grow,
    },
  ];
}

const STEPS = [80, 160, 240, 320, 400];
const spectra: SpectrumRecord[] = STEPS.map((step) => ({ step, time: step / 10, layers: layersAt(step) }));

type Described = {
  state: { layer?: string };
  title: string;
  table: { headers: string[]; rows: string[][]; selected: string };
  charts: Record<
    string,
    {
      type: string;
      labels: string[];
      datasets: { label: string; length: number; data: (number | { x: number; y: number })[]; borderColor: string; backgroundColor: string | string[] }[];
    }
  >;
};

async function assertClean(view: WebviewPage): Promise<void> {
  assert.deepEqual(await view.cspViolations(), [], 'CSP violations');
  assert.deepEqual(view.problems, [], 'console errors / stray requests');
}

async function openInspector(theme: 'light' | 'dark' = 'dark'): Promise<WebviewPage> {
  const view = await browser.open('inspector', { theme });
  await view.post({ type: 'inspect', title: 'run-42 · adapter.safetensors', runId: 'run-42', spectra, final: layersAt(400) });
  await view.page.waitForSelector('#spectrum-table tbody tr');
  await nextFrames(view.page);
  return view;
}

test('spectrum bars, metrics table and eigenvalue trajectories of the first layer', async () => {
  const view = await openInspector();
  assert.deepEqual(
    (await view.posted()).map((m) => m.type),
    ['ready'],
  );
  const d = await view.describe<Described>(true);
  assert.equal(d.title, 'run-42 · adapter.safetensors');
  assert.equal(d.table.rows.length, 3);
  assert.deepEqual(
    d.table.rows.map((r) => r.slice(0, 4)),
    [
      ['layers.0.dense', 'symlora', '4', '0.8'],
      ['layers.1.dense', 'symlora', '4', '-0.6'],
      ['head', 'lora', '2', '0.7'],
    ],
  );
  assert.equal(d.table.selected, 'layers.0.dense');
  const bars = d.charts.spectrum;
  assert.equal(bars.type, 'bar');
  assert.deepEqual(bars.labels, ['1', '2', '3', '4']);
  assert.deepEqual(
    bars.datasets.map((s) => [s.label, s.data]),
    [['eigenvalues (signed)', layersAt(400)[0].eigenvalues]],
  );
  const lines = d.charts.trajectory.datasets;
  assert.deepEqual(
    lines.map((s) => s.label),
    ['λ1', 'λ2', 'λ3', 'λ4'],
  );
  assert.deepEqual(
    lines[1].data,
    spectra.map((s) => ({ x: s.step, y: s.layers[0].eigenvalues[1] })),
  );
  // λᵢ has one colour in both charts, whatever its sign (a negative bar sits below zero).
  assert.deepEqual(
    bars.datasets[0].backgroundColor,
    lines.map((l) => l.borderColor),
  );
  assert.equal(new Set(lines.map((l) => l.borderColor)).size, 4);
  await assertClean(view);
  await view.page.close();
});

test('a LoRA layer picked from the table by keyboard shows singular values and symmetric-part eigenvalues; the choice survives a reload', async () => {
  const view = await openInspector('light');
  await view.page.locator('#spectrum-table tbody tr[data-layer="head"]').focus();
  await view.page.keyboard.press('Enter');
  await nextFrames(view.page);
  let d = await view.describe<Described>(true);
  assert.equal(d.state.layer, 'head');
  assert.equal(d.table.selected, 'head');
  assert.deepEqual(
    d.charts.spectrum.datasets.map((s) => [s.label, s.data]),
    [
      ['singular values', layersAt(400)[2].singularValues],
      ['eigenvalues of the symmetric part', layersAt(400)[2].eigenvalues],
    ],
  );
  assert.deepEqual(
    d.charts.trajectory.datasets.map((s) => s.length),
    [5, 5],
  );
  await view.screenshot('inspector-light');

  // Sorting the table by a metric keeps the selection.
  await view.page.locator('button[data-key="relativeNorm"]').click();
  d = await view.describe<Described>(true);
  assert.deepEqual(
    d.table.rows.map((r) => r[0]),
    ['layers.0.dense', 'layers.1.dense', 'head'],
  );

  await view.reload();
  await view.post({ type: 'inspect', title: 't', runId: 'run-42', spectra, final: layersAt(400) });
  await view.page.waitForSelector('#spectrum-table tbody tr');
  await nextFrames(view.page);
  d = await view.describe<Described>(true);
  assert.equal(d.table.selected, 'head');
  assert.equal(d.charts.spectrum.datasets.length, 2);
  await view.setTheme('dark');
  await view.screenshot('inspector-dark');

  await view.page.locator('#save-spectrum').click();
  await view.page.waitForFunction(() => (window as any).__posted.some((m: any) => m.type === 'exportFile'));
  const png = (await view.posted()).find((m) => m.type === 'exportFile');
  assert.deepEqual(png && png.type === 'exportFile' && [png.format, png.suggestedName], ['png', 'spectrum-head.png']);
  await assertClean(view);
  await view.page.close();
});

test('live spectrum snapshots of the same run extend the trajectories; other runs are ignored', async () => {
  const view = await openInspector();
  await view.post({ type: 'spectrum', runId: 'other-run', record: { step: 999, time: 1, layers: layersAt(999) } });
  await view.post({ type: 'spectrum', runId: 'run-42', record: { step: 480, time: 48, layers: layersAt(480) } });
  await nextFrames(view.page);
  const d = await view.describe<Described>(true);
  assert.deepEqual(
    d.charts.trajectory.datasets.map((s) => s.length),
    [6, 6, 6, 6],
  );
  assert.deepEqual(d.charts.spectrum.datasets[0].data, layersAt(480)[0].eigenvalues);
  await assertClean(view);
  await view.page.close();
});
