import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricRecord } from '../../src/core/protocol';
import type { HostToWebview, RunInfo, WebviewToHost } from '../../src/core/webviewProtocol';
import { WebviewBrowser, nextFrames, type WebviewPage } from './harness';
import { evalRecords, makeRun, trainRecords } from './fixtures';

let browser: WebviewBrowser;
before(async () => {
  browser = await WebviewBrowser.launch(['compare']);
});
after(async () => {
  await browser?.close();
});

const KINDS = { symlora: { params: 2080, base: 0.9 }, lora: { params: 4096, base: 0.88 } } as const;
const STEPS = [100, 200, 300, 400, 500];
const valAcc = (kind: keyof typeof KINDS, seed: number, step: number) => KINDS[kind].base - (0.3 / step) * 100 + 0.013 * seed * seed - 0.004 * seed;

function fixture(): { runs: RunInfo[]; metrics: Record<string, MetricRecord[]> } {
  const runs: RunInfo[] = [];
  const metrics: Record<string, MetricRecord[]> = {};
  for (const kind of ['symlora', 'lora'] as const) {
    for (const seed of [1, 2, 3]) {
      const id = `${kind}-r4-s${seed}`;
      runs.push(
        makeRun(id, {
          adapterKind: kind,
          seed,
          trainableParams: KINDS[kind].params,
          wallTimeSec: 50 + seed,
          steps: 500,
          config: { 'model.hidden': 256, 'adapter.kind': kind, 'adapter.rank': 4, 'train.lr': 0.001, seed },
        }),
      );
      metrics[id] = [
        ...trainRecords(50, { seed }),
        ...evalRecords(STEPS, 'val', (step) => valAcc(kind, seed, step)),
        ...evalRecords([500], 'test', (step) => valAcc(kind, seed, step) - 0.01),
      ];
    }
  }
  return { runs, metrics };
}

type Described = {
  state: { sort?: { key: string; direction: string }; groupSeeds: boolean; curveMetric: string };
  table: { headers: { text: string; sort: string }[]; rows: string[][] };
  charts: Record<string, { xScale: string; yScale: string; datasets: { label: string; length: number; data: { x: number; y: number; label?: string }[] }[] }>;
};

async function openWithFixture(theme: 'light' | 'dark' = 'dark', initialState?: unknown): Promise<WebviewPage> {
  const view = await browser.open('compare', { theme, initialState });
  const { runs, metrics } = fixture();
  await view.post({ type: 'init', runs, metrics } satisfies HostToWebview);
  await view.page.waitForSelector('#compare-table tbody tr');
  return view;
}

async function lastExport(view: WebviewPage, format: string): Promise<Extract<WebviewToHost, { type: 'exportFile' }>> {
  await view.page.waitForFunction((f) => (window as any).__posted.some((m: any) => m.type === 'exportFile' && m.format === f), format);
  return (await view.posted()).filter((m) => m.type === 'exportFile' && m.format === format).at(-1) as Extract<WebviewToHost, { type: 'exportFile' }>;
}

/** RFC 4180 parsing, enough for our exports. */
function parseCsv(text: string): string[][] {
  return text
    .trimEnd()
    .split('\r\n')
    .map((line) =>
      line
        .match(/("([^"]|"")*"|[^,]*)(,|$)/g)!
        .slice(0, -1)
        .map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"')),
    );
}

async function assertClean(view: WebviewPage): Promise<void> {
  assert.deepEqual(await view.cspViolations(), [], 'CSP violations');
  assert.deepEqual(view.problems, [], 'console errors / stray requests');
}

test('table shows only differing config fields and each run’s results; sorting by click and keyboard', async () => {
  const view = await openWithFixture();
  let d = await view.describe<Described>();
  assert.deepEqual(
    d.table.headers.map((h) => h.text),
    [
      'run',
      'adapter.kind',
      'seed',
      'adapter',
      'rank',
      'trainable params',
      'val final acc',
      'val best acc',
      'test final acc',
      'test best acc',
      'wall time (s)',
      'steps/s',
      'backend',
    ],
  );
  assert.equal(d.table.rows.length, 6);
  const row = d.table.rows.find((r) => r[0] === 'lora-r4-s2')!;
  assert.deepEqual(row.slice(0, 6), ['lora-r4-s2', 'lora', '2', 'lora', '4', '4,096']);
  assert.equal(Number(row[6]), Number(valAcc('lora', 2, 500).toPrecision(4)));
  assert.equal(Number(row[11]), Number((500 / 52).toPrecision(4)));

  await view.page.locator('button[data-key="valFinal"]').click();
  d = await view.describe<Described>();
  const finals = d.table.rows.map((r) => Number(r[6]));
  assert.deepEqual(
    finals,
    [...finals].sort((a, b) => a - b),
  );
  assert.equal(d.table.headers[6].sort, 'ascending');
  // Keyboard: the focused header button toggles to descending with Enter.
  assert.equal(await view.page.evaluate(() => (document.activeElement as HTMLElement).dataset.key), 'valFinal');
  await view.page.keyboard.press('Enter');
  d = await view.describe<Described>();
  assert.equal(d.table.headers[6].sort, 'descending');
  assert.deepEqual(
    d.table.rows.map((r) => Number(r[6])),
    [...finals].sort((a, b) => b - a),
  );
  assert.equal(d.table.rows[0][0], 'symlora-r4-s3');

  // CSV export follows the on-screen order and carries the unrounded numbers.
  await view.page.locator('#export-csv').click();
  const csv = await lastExport(view, 'csv');
  assert.equal(csv.suggestedName, 'symlora-compare.csv');
  const cells = parseCsv(csv.content);
  assert.deepEqual(
    cells[0],
    d.table.headers.map((h) => h.text.replace(/ [▲▼]$/, '')),
  );
  assert.deepEqual(
    cells.slice(1).map((r) => r[0]),
    d.table.rows.map((r) => r[0]),
  );
  assert.equal(Number(cells[1][6]), valAcc('symlora', 3, 500));
  assert.equal(Number(cells[1][8]), valAcc('symlora', 3, 500) - 0.01);

  await view.page.locator('#export-markdown').click();
  const md = await lastExport(view, 'markdown');
  const lines = md.content.trimEnd().split('\n');
  assert.equal(lines.length, 8);
  assert.match(lines[0], /^\| run \| adapter\.kind \| seed \|/);
  assert.match(lines[1], /^\| --- \| --- \| ---: \|/);
  assert.match(lines[2], /^\| symlora-r4-s3 \| symlora \| 3 \|/);

  // The group checkbox (keyboard: Space) folds the seeds into one row per configuration.
  await view.page.locator('#group-seeds').focus();
  await view.page.keyboard.press('Space');
  d = await view.describe<Described>();
  assert.equal(d.state.groupSeeds, true);
  assert.deepEqual(d.table.rows.map((r) => r[0]).sort(), ['lora r4 (seeds 1, 2, 3)', 'symlora r4 (seeds 1, 2, 3)']);
  await assertClean(view);
  await view.page.close();
});

test('grouping by seed (asked for by the host’s initial state): mean ± t-interval in table, curves and CSV; scatter per adapter kind', async () => {
  const view = await openWithFixture('dark', { groupSeeds: true });
  assert.equal(await view.page.locator('#group-seeds').evaluate((e: any) => e.checked), true);
  await nextFrames(view.page);
  const d = await view.describe<Described>(true);
  assert.equal(d.table.rows.length, 2);
  assert.ok(!d.table.headers.some((h) => h.text === 'seed'), 'seed is not a difference inside a group');
  const values = [1, 2, 3].map((s) => valAcc('symlora', s, 500));
  const mean = values.reduce((a, b) => a + b) / 3;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
  const half = (4.302652729749462 * sd) / Math.sqrt(3); // t(0.975, 2)
  const symRow = d.table.rows.find((r) => r[0].startsWith('symlora'))!;
  assert.equal(symRow[0], 'symlora r4 (seeds 1, 2, 3)');
  const [shownMean, shownHalf] = symRow[d.table.headers.findIndex((h) => h.text.startsWith('val final'))].split(' ± ').map(Number);
  assert.equal(shownMean, Number(mean.toPrecision(4)));
  assert.equal(shownHalf, Number(half.toPrecision(2)));

  // Curves: a mean line and a 95% band per group.
  const curves = d.charts.curves.datasets;
  assert.deepEqual(
    curves.map((c) => c.label.replace('\u200b', '')),
    [
      'symlora r4 (seeds 1, 2, 3) mean',
      'symlora r4 (seeds 1, 2, 3) lower',
      'symlora r4 (seeds 1, 2, 3) 95% CI',
      'lora r4 (seeds 1, 2, 3) mean',
      'lora r4 (seeds 1, 2, 3) lower',
      'lora r4 (seeds 1, 2, 3) 95% CI',
    ],
  );
  assert.deepEqual(
    curves[0].data.map((p) => p.x),
    STEPS,
  );
  assert.ok(Math.abs(curves[0].data[4].y - mean) < 1e-12, `mean ${curves[0].data[4].y} vs ${mean}`);
  assert.ok(Math.abs(curves[2].data[4].y - (mean + half)) < 1e-12, `upper ${curves[2].data[4].y} vs ${mean + half}`);
  assert.ok(Math.abs(curves[1].data[4].y - (mean - half)) < 1e-12, `lower ${curves[1].data[4].y} vs ${mean - half}`);

  const scatter = d.charts.scatter;
  assert.equal(scatter.xScale, 'logarithmic');
  assert.deepEqual(
    scatter.datasets.map((s) => [s.label, s.data.map((p) => p.x)]),
    [
      ['symlora', [2080]],
      ['lora', [4096]],
    ],
  );
  assert.ok(Math.abs(scatter.datasets[0].data[0].y - mean) < 1e-12, `scatter ${scatter.datasets[0].data[0].y} vs ${mean}`);

  await view.page.locator('#export-csv').click();
  const cells = parseCsv((await lastExport(view, 'csv')).content);
  const col = cells[0].indexOf('val final acc ±95% CI');
  assert.ok(col > 0, cells[0].join(','));
  const sym = cells.find((r) => r[0].startsWith('symlora'))!;
  assert.ok(
    Math.abs(Number(sym[col]) - half) < 1e-12 && Math.abs(Number(sym[col - 1]) - mean) < 1e-12,
    `csv ${sym[col - 1]} ± ${sym[col]} vs ${mean} ± ${half}`,
  );
  await assertClean(view);
  await view.page.close();
});

test('any metric can be overlaid; charts save as PNG; state survives a reload; light and dark screenshots', async () => {
  const view = await openWithFixture('light');
  await view.page.evaluate(() => {
    const select = document.getElementById('curve-metric') as any;
    select.value = 'train.loss';
    select.dispatchEvent(new Event('change'));
  });
  await view.page.locator('button[data-key="trainableParams"]').click();
  let d = await view.describe<Described>();
  assert.equal(d.state.curveMetric, 'train.loss');
  assert.deepEqual(
    d.charts.curves.datasets.map((s) => [s.label, s.length]),
    fixture().runs.map((r) => [r.id, 50]),
  );
  await view.screenshot('compare-light');

  await view.page.locator('#save-curves').click();
  const png = await lastExport(view, 'png');
  assert.equal(png.suggestedName, 'symlora-train.loss.png');
  const bytes = Buffer.from(png.content.split(',')[1], 'base64');
  assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
  const canvasSize = await view.page.locator('#curves-chart canvas').evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
  assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], canvasSize);

  await view.reload();
  const { runs, metrics } = fixture();
  await view.post({ type: 'init', runs, metrics });
  await view.page.waitForSelector('#compare-table tbody tr');
  d = await view.describe<Described>();
  assert.deepEqual(d.state.sort, { key: 'trainableParams', direction: 'asc' });
  assert.equal(d.state.curveMetric, 'train.loss');
  assert.equal(d.table.headers.find((h) => h.text.startsWith('trainable'))!.sort, 'ascending');
  await view.setTheme('dark');
  await view.screenshot('compare-dark');
  await assertClean(view);
  await view.page.close();
});
