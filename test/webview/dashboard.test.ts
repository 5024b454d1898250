import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebviewBrowser, nextFrames, type WebviewPage } from './harness';
import { evalRecords, makeRun, trainRecords } from './fixtures';

let browser: WebviewBrowser;
before(async () => {
  browser = await WebviewBrowser.launch(['dashboard']);
});
after(async () => {
  await browser?.close();
});

/** TensorBoard's resmoothDataset, written out independently as the reference. */
function tensorBoardSmooth(ys: number[], weight: number): number[] {
  let last = ys.length > 0 ? 0 : NaN;
  let numAccum = 0;
  const isConstant = ys.every((v) => v === ys[0]);
  return ys.map((nextVal) => {
    if (isConstant || !Number.isFinite(nextVal)) return nextVal;
    last = last * weight + (1 - weight) * nextVal;
    numAccum++;
    const debiasWeight = weight === 1 ? 1 : 1 - Math.pow(weight, numAccum);
    return last / debiasWeight;
  });
}

type Described = {
  state: { selected: string[]; smoothing: number; xAxis: string; logY: boolean; hiddenPanels: string[] };
  runs: string[];
  charts: Record<
    string,
    { xScale: string; yScale: string; datasets: { label: string; length: number; drawn: number; data: { x: number; y: number }[]; borderColor: string }[] }
  >;
};

async function waitForLength(view: WebviewPage, chart: string, label: string, length: number, withData = length <= 5000): Promise<Described> {
  for (let i = 0; i < 100; i++) {
    await nextFrames(view.page);
    const d = await view.describe<Described>();
    if (d.charts[chart].datasets.find((s) => s.label === label)?.length === length) return withData ? view.describe<Described>(true) : d;
  }
  assert.fail(
    `${chart} / ${label} never reached ${length} points: ${JSON.stringify((await view.describe<Described>()).charts[chart].datasets.map((s) => [s.label, s.length]))}`,
  );
}

/** Polls the view until `ready` holds (controls and redraws are asynchronous), then returns it. */
async function waitForView(view: WebviewPage, ready: (d: Described) => boolean, what: string): Promise<Described> {
  for (let i = 0; i < 100; i++) {
    const d = await view.describe<Described>(true);
    if (ready(d)) return d;
    await nextFrames(view.page);
  }
  assert.fail(`the view never showed: ${what}`);
}

async function assertClean(view: WebviewPage): Promise<void> {
  assert.deepEqual(await view.cspViolations(), [], 'CSP violations');
  assert.deepEqual(view.problems, [], 'console errors / stray requests');
}

test('handshake: ready first, nothing drawn before init, then every metric series drawn', async () => {
  const view = await browser.open('dashboard');
  const posted = await view.posted();
  assert.deepEqual(posted, [{ type: 'ready' }]);
  const before = await view.describe<Described>();
  assert.ok(Object.values(before.charts).every((c) => c.datasets.length === 0));

  const records = [...trainRecords(300), ...evalRecords([100, 200, 300], 'val', (s) => 0.5 + s / 1000)];
  await view.post({ type: 'init', runs: [makeRun('run-a', { status: 'running' }), makeRun('run-b')], metrics: { 'run-a': records } });
  const d = await waitForLength(view, 'loss', 'run-a · train loss', 300);
  assert.deepEqual(d.state.selected, ['run-a'], 'the active run is shown by default');
  const labels = (chart: string) => d.charts[chart].datasets.map((s) => [s.label.replace('\u200b', ''), s.length]);
  assert.deepEqual(labels('loss'), [
    ['run-a · train loss', 300],
    ['run-a · train loss (raw)', 300],
    ['run-a · val loss', 3],
  ]);
  assert.deepEqual(labels('accuracy'), [
    ['run-a · train acc', 300],
    ['run-a · train acc (raw)', 300],
    ['run-a · val acc', 3],
  ]);
  assert.deepEqual(labels('lr'), [['run-a · lr', 300]]);
  assert.deepEqual(labels('throughput'), [
    ['run-a · samples/s', 300],
    ['run-a · samples/s (raw)', 300],
  ]);
  const raw = d.charts.loss.datasets[1].data;
  assert.deepEqual(
    raw.slice(0, 3).map((p) => p.x),
    [1, 2, 3],
  );
  assert.equal(raw[10].y, (records[10] as { loss: number }).loss);
  assert.deepEqual((await view.posted()).at(-1), { type: 'selectRuns', runIds: ['run-a'] });
  await assertClean(view);
  await view.page.close();
});

test('live metrics are appended incrementally to the same arrays', async () => {
  const view = await browser.open('dashboard');
  await view.post({ type: 'init', runs: [makeRun('live', { status: 'running' })], metrics: { live: trainRecords(50) } });
  await waitForLength(view, 'loss', 'live · train loss', 50);
  // Mark the dataset's array: incremental appends keep it, a full rebuild would replace it.
  await view.page.evaluate(
    () =>
      (((window as any).__symlora.charts.get('loss').data.datasets[0]._data ?? (window as any).__symlora.charts.get('loss').data.datasets[0].data).__marker =
        1),
  );
  for (let i = 0; i < 5; i++) {
    await view.post({ type: 'metrics', runId: 'live', records: trainRecords(10, { startStep: 51 + 10 * i }) });
  }
  const d = await waitForLength(view, 'loss', 'live · train loss', 100);
  assert.deepEqual(
    d.charts.loss.datasets[1].data.map((p) => p.x),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  const marker = await view.page.evaluate(() => {
    const ds = (window as any).__symlora.charts.get('loss').data.datasets[0];
    return (ds._data ?? ds.data).__marker;
  });
  assert.equal(marker, 1, 'datasets were rebuilt instead of appended to');
  // A run that starts later joins the charts by itself.
  await view.post({ type: 'runUpdated', run: makeRun('late', { status: 'running' }) });
  await view.post({ type: 'metrics', runId: 'late', records: trainRecords(20) });
  const d2 = await waitForLength(view, 'loss', 'late · train loss', 20);
  assert.deepEqual(d2.state.selected, ['live', 'late']);
  assert.notEqual(d2.charts.loss.datasets[0].borderColor, d2.charts.loss.datasets.find((s) => s.label === 'late · train loss')!.borderColor);
  await assertClean(view);
  await view.page.close();
});

test('a streaming run is redrawn at most ~10 times a second, and a control change at once', async () => {
  const view = await browser.open('dashboard');
  await view.post({ type: 'init', runs: [makeRun('fast', { status: 'running' })], metrics: { fast: trainRecords(50) } });
  await waitForLength(view, 'loss', 'fast · train loss', 50);
  const renders = () => view.page.evaluate(() => (window as any).__symlora.renderCount() as number);
  const before = await renders();
  // 40 messages over ~1 s, as a trainer streaming at 50 ms intervals sends them (faster here).
  const started = Date.now();
  for (let i = 0; i < 40; i++) {
    await view.post({ type: 'metrics', runId: 'fast', records: trainRecords(10, { startStep: 51 + 10 * i }) });
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const streamed = await waitForLength(view, 'loss', 'fast · train loss', 450, false);
  const seconds = (Date.now() - started) / 1000;
  const redraws = (await renders()) - before;
  assert.ok(redraws >= 1 && redraws <= Math.ceil(seconds * 10) + 2, `${redraws} redraws for 40 messages in ${seconds.toFixed(2)} s (at most ~10 a second)`);
  assert.equal(streamed.charts.loss.datasets[1].length, 450);
  // A control change right after new points cancels the paced redraw and draws both at once.
  await view.post({ type: 'metrics', runId: 'fast', records: trainRecords(10, { startStep: 451 }) });
  const drawn = view.page.evaluate(() => (window as any).__symlora.nextRender());
  await view.page.evaluate(() => {
    const slider = document.getElementById('smoothing') as HTMLInputElement;
    slider.value = '0.3';
    slider.dispatchEvent(new Event('input'));
  });
  await drawn;
  const d = await waitForView(view, (v) => v.state.smoothing === 0.3, 'smoothing 0.3');
  assert.equal(d.charts.loss.datasets[1].length, 460);
  await assertClean(view);
  await view.page.close();
});

test('smoothing equals TensorBoard’s debiased EMA; the raw curve stays behind', async () => {
  const view = await browser.open('dashboard');
  const records = trainRecords(400, { seed: 3 });
  await view.post({ type: 'init', runs: [makeRun('s', { status: 'running' })], metrics: { s: records } });
  await waitForLength(view, 'loss', 's · train loss', 400);
  const losses = records.map((r) => (r as { loss: number }).loss);
  for (const weight of [0.6, 0.95, 0]) {
    await view.page.locator('#smoothing').fill(String(weight));
    await nextFrames(view.page);
    const d = await view.describe<Described>(true);
    assert.equal(d.state.smoothing, weight);
    const smoothed = d.charts.loss.datasets[0].data.map((p) => p.y);
    const reference = tensorBoardSmooth(losses, weight);
    smoothed.forEach((y, i) => assert.ok(Math.abs(y - reference[i]) <= 1e-12 * Math.abs(reference[i]), `w=${weight} i=${i}: ${y} vs ${reference[i]}`));
    assert.deepEqual(
      d.charts.loss.datasets[1].data.map((p) => p.y),
      losses,
    );
    assert.match(d.charts.loss.datasets[1].borderColor, /rgba\(.*0\.25\)/);
  }
  // Points streamed after the slider moved are smoothed incrementally with the same result.
  await view.page.locator('#smoothing').fill('0.8');
  const more = trainRecords(100, { seed: 4, startStep: 401 });
  await view.post({ type: 'metrics', runId: 's', records: more });
  const d = await waitForLength(view, 'loss', 's · train loss', 500);
  const reference = tensorBoardSmooth([...losses, ...more.map((r) => (r as { loss: number }).loss)], 0.8);
  d.charts.loss.datasets[0].data.forEach((p, i) => assert.ok(Math.abs(p.y - reference[i]) < 1e-12, `i=${i}`));
  await assertClean(view);
  await view.page.close();
});

test('x axis by wall time, log-scale y, hiding a metric, run selection; state survives a reload', async () => {
  const view = await browser.open('dashboard');
  const init = { type: 'init' as const, runs: [makeRun('r1'), makeRun('r2')], metrics: { r1: trainRecords(30), r2: trainRecords(30, { stepsPerSec: 5 }) } };
  await view.post(init);
  await waitForLength(view, 'loss', 'r2 · train loss', 30); // no run active: the newest is shown

  // Keyboard: tick r1's checkbox with the space bar.
  await view.page.locator('vscode-checkbox[data-run-id="r1"]').focus();
  await view.page.keyboard.press('Space');
  await waitForLength(view, 'loss', 'r1 · train loss', 30);

  await view.page.evaluate(() => {
    const select = document.getElementById('x-axis') as any;
    select.value = 'time';
    select.dispatchEvent(new Event('change'));
  });
  await view.page.locator('#log-y').click();
  await view.page.locator('vscode-checkbox[data-panel="lr"]').click();
  await view.page.locator('#smoothing').fill('0.3');
  let d = await waitForView(
    view,
    (v) => v.charts.loss.yScale === 'logarithmic' && v.state.hiddenPanels.includes('lr') && v.state.xAxis === 'time',
    'log y, wall-time x, lr hidden',
  );
  assert.equal(d.charts.loss.xScale, 'linear');
  assert.equal(d.charts.loss.yScale, 'logarithmic');
  assert.deepEqual(
    d.charts.loss.datasets
      .find((s) => s.label === 'r2 · train loss')!
      .data.slice(0, 2)
      .map((p) => p.x),
    [0.2, 0.4],
  );
  assert.equal(await view.page.locator('#panel-lr').isHidden(), true, 'lr panel hidden');
  assert.deepEqual(new Set(d.state.selected), new Set(['r1', 'r2']));

  await view.reload();
  assert.deepEqual(
    (await view.posted()).map((m) => m.type),
    ['ready'],
    'nothing is assumed before init',
  );
  await view.post(init);
  d = await waitForView(
    view,
    (v) => v.charts.loss.datasets.some((s) => s.label === 'r1 · train loss' && s.length === 30) && v.charts.loss.yScale === 'logarithmic',
    'restored curves on a log scale',
  );
  assert.deepEqual(
    { selected: new Set(d.state.selected), xAxis: d.state.xAxis, logY: d.state.logY, smoothing: d.state.smoothing, hidden: d.state.hiddenPanels },
    { selected: new Set(['r1', 'r2']), xAxis: 'time', logY: true, smoothing: 0.3, hidden: ['lr'] },
  );
  assert.equal(await view.page.locator('#panel-lr').isHidden(), true, 'lr panel hidden after reload');
  assert.equal(await view.page.locator('#smoothing').inputValue(), '0.3');
  assert.equal(await view.page.locator('vscode-checkbox[data-run-id="r1"]').evaluate((e: any) => e.checked), true, 'r1 ticked after reload');

  // Unticking a run removes its curves and tells the host.
  await view.page.locator('vscode-checkbox[data-run-id="r2"]').click();
  d = await waitForView(view, (v) => !v.charts.loss.datasets.some((s) => s.label.startsWith('r2')), 'r2 removed');
  assert.deepEqual(d.state.selected, ['r1']);
  assert.deepEqual((await view.posted()).at(-1), { type: 'selectRuns', runIds: ['r1'] });
  await assertClean(view);
  await view.page.close();
});

test('100,000 points per series are kept and decimated for drawing; screenshots in light and dark', async () => {
  const view = await browser.open('dashboard', { theme: 'light' });
  // 100k records are generated inside the page: 12 MB through the DevTools protocol takes seconds.
  await view.page.evaluate(
    ({ small }) => {
      const big = Array.from({ length: 100_000 }, (_, i) => ({
        kind: 'train',
        step: i + 1,
        epoch: 0,
        time: (i + 1) / 50,
        loss: 2 * Math.exp(-i / 20_000) + 0.1 * Math.sin(i / 7) ** 2,
        accuracy: 1 - Math.exp(-i / 20_000),
        lr: 0.001,
        samplesPerSec: 1000 + (i % 97),
      }));
      const runs = [
        { id: 'big', experiment: 'x', status: 'running', adapterKind: 'symlora', rank: 4, seed: 1, trainableParams: 1, config: {} },
        { id: 'small', experiment: 'x', status: 'running', adapterKind: 'lora', rank: 4, seed: 1, trainableParams: 1, config: {} },
      ];
      window.postMessage({ type: 'init', runs, metrics: { big, small } }, '*');
    },
    { small: trainRecords(2000, { seed: 9, lossScale: 1.3 }) },
  );
  const d = await waitForLength(view, 'loss', 'big · train loss', 100_000);
  const big = d.charts.loss.datasets[0];
  assert.ok(big.drawn > 0 && big.drawn < 5000, `decimation should draw ~canvas-width points, drew ${big.drawn}`);
  await view.page.locator('#smoothing').fill('0.9');
  await nextFrames(view.page);
  await view.screenshot('dashboard-light');
  await view.setTheme('dark');
  const colours = await view.describe<Described>();
  assert.equal(colours.charts.loss.datasets[0].borderColor, '#3794ff', 'dataset colour follows the dark theme variable');
  await view.screenshot('dashboard-dark');
  await assertClean(view);
  await view.page.close();
});

test('unknown messages are reported, not crashed on', async () => {
  const view = await browser.open('dashboard');
  await view.page.evaluate(() => window.postMessage({ type: 'rm -rf' }, '*'));
  await view.page.waitForFunction(() => (window as any).__posted.length > 1);
  const last = (await view.posted()).at(-1);
  assert.equal(last?.type, 'log');
  assert.match((last as { message: string }).message, /unknown message/);
  await assertClean(view);
  await view.page.close();
});
