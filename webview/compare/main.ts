/**
 * Compare Runs (WebviewPanel): a sortable table of what differs between runs and how they did,
 * CSV / Markdown export, overlaid curves (mean ± 95% CI over seeds when grouped), and accuracy
 * against trainable parameters. Controls: @vscode-elements/elements, the maintained successor of
 * the deprecated @vscode/webview-ui-toolkit.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { Chart } from 'chart.js';
import type { HostToWebview, RunInfo } from '../../src/core/webviewProtocol';
import { applyTheme, chartToPng, createLineChart, describeChart, HIDDEN_FROM_LEGEND, type LineDataset, type Point } from '../shared/charts';
import { toCsv, toMarkdown, type Cell } from '../shared/csv';
import { chartBox, el, showApp } from '../shared/dom';
import { connectToHost } from '../shared/messaging';
import { formatNumber, nextSort, renderTable, type Column, type Row, type SortState, sortRows } from '../shared/table';
import { readTheme, watchTheme, withAlpha } from '../shared/theme';
import { exposeForTests, getUiState, postToHost, setUiState } from '../shared/vscodeApi';
import {
  availableSeries,
  buildTable,
  groupBySeed,
  groupLabel,
  meanBand,
  primaryMetric,
  seriesPoints,
  summarizeRun,
  type Metrics,
  type TableModel,
} from './model';

interface UiState {
  sort?: SortState;
  groupSeeds: boolean;
  curveMetric?: string;
}

const state = getUiState<UiState>({ groupSeeds: false });
let runs: RunInfo[] = [];
let metrics: Metrics = {};
let model: TableModel = { columns: [], rows: [] };
let curves: Chart<'line' | 'scatter', Point[]> | undefined;
let scatter: Chart<'line' | 'scatter', Point[]> | undefined;
const table = el('table', { class: 'data-table', id: 'compare-table', 'aria-label': 'Run comparison' });
const metricSelect = el('vscode-single-select', { id: 'curve-metric', 'aria-label': 'Metric to overlay' }) as HTMLElement & { value: string };
const note = el('p', { class: 'note', id: 'compare-note' });

function saveState(): void {
  setUiState(state);
}

// --------------------------------------------------------------------------------------------
// Table and exports
// --------------------------------------------------------------------------------------------

function displayColumns(): Column[] {
  return model.columns.map((column) => ({
    key: column.key,
    label: column.label,
    numeric: column.numeric,
    format: (value: Cell, row: Row) => {
      const text = column.numeric ? formatNumber(value) : value === null || value === undefined ? '' : String(value);
      const ci = row[`${column.key}:ci`];
      return typeof ci === 'number' && text !== '' ? `${text} ± ${formatNumber(ci, 2)}` : text;
    },
  }));
}

function renderCompareTable(): void {
  model = buildTable(runs, metrics, state.groupSeeds);
  if (state.sort && !model.columns.some((c) => c.key === state.sort!.key)) state.sort = undefined;
  renderTable(table, displayColumns(), model.rows, state.sort, (key) => {
    state.sort = nextSort(state.sort, key);
    saveState();
    renderCompareTable();
    table.querySelector<HTMLButtonElement>(`button[data-key="${CSS.escape(key)}"]`)?.focus();
  });
  note.textContent = runs.length < 2 ? 'Pick two or more runs to compare.' : state.groupSeeds ? 'Metric cells: mean ± 95% CI (t-distribution) over seeds.' : '';
}

/** Rows as sorted on screen; in grouped mode every aggregated column gets its CI column. */
function exportTable(): { header: string[]; rows: Cell[][]; display: string[][]; numeric: boolean[] } {
  const columns = displayColumns();
  const withCi = model.columns.flatMap((c) => (state.groupSeeds && c.aggregated ? [c.key, `${c.key}:ci`] : [c.key]));
  const label = (key: string) =>
    key.endsWith(':ci') ? `${model.columns.find((c) => `${c.key}:ci` === key)!.label} ±95% CI` : model.columns.find((c) => c.key === key)!.label;
  const sorted = sortRows(model.rows, state.sort);
  return {
    header: withCi.map(label),
    rows: sorted.map((row) => withCi.map((key) => row[key] ?? null)),
    display: sorted.map((row) => columns.map((c) => c.format!(row[c.key], row))),
    numeric: columns.map((c) => !!c.numeric),
  };
}

function exportCsv(): void {
  const { header, rows } = exportTable();
  postToHost({ type: 'exportFile', format: 'csv', suggestedName: 'symlora-compare.csv', content: toCsv(header, rows) });
}

function exportMarkdown(): void {
  const { display, numeric } = exportTable();
  const header = displayColumns().map((c) => c.label);
  postToHost({ type: 'exportFile', format: 'markdown', suggestedName: 'symlora-compare.md', content: toMarkdown(header, display, numeric) });
}

// --------------------------------------------------------------------------------------------
// Charts
// --------------------------------------------------------------------------------------------

function renderCurves(): void {
  if (!curves) return;
  const metric = state.curveMetric ?? availableSeries(metrics)[0];
  const palette = readTheme().palette;
  const datasets: LineDataset[] = [];
  const units = state.groupSeeds ? groupBySeed(runs) : runs.map((run) => [run]);
  units.forEach((members, i) => {
    const colour = palette[i % palette.length];
    const label = groupLabel(members);
    const lines = members.map((run) => seriesPoints(metrics[run.id] ?? [], metric ?? '')).filter((points) => points.length > 0);
    if (lines.length === 0) return;
    if (members.length === 1) {
      datasets.push({ label, data: lines[0], borderColor: colour, backgroundColor: colour });
      return;
    }
    const band = meanBand(lines);
    datasets.push({ label: `${label} mean`, data: band.mean, borderColor: colour, backgroundColor: colour });
    datasets.push({ label: `${label} lower${HIDDEN_FROM_LEGEND}`, data: band.lower, borderColor: 'transparent', borderWidth: 0, fill: false });
    datasets.push({
      label: `${label} 95% CI${HIDDEN_FROM_LEGEND}`,
      data: band.upper,
      borderColor: 'transparent',
      borderWidth: 0,
      backgroundColor: withAlpha(colour, 0.2),
      fill: '-1',
    });
  });
  curves.data.datasets = datasets;
  const options = curves.options as any;
  options.plugins.title.text = metric ? `${metric} by step` : 'No metrics yet';
  options.scales.y.title.text = metric ?? '';
  curves.update('none');
}

function renderScatter(): void {
  if (!scatter) return;
  const metric = primaryMetric(metrics);
  const palette = readTheme().palette;
  const units = state.groupSeeds ? groupBySeed(runs) : runs.map((run) => [run]);
  const byKind = new Map<string, (Point & { label: string })[]>();
  for (const members of units) {
    const ys = members
      .map((run) => summarizeRun(run, metrics[run.id] ?? [], metric))
      .map((s) => s.valFinal ?? s.testFinal)
      .filter((y): y is number => typeof y === 'number');
    if (ys.length === 0 || !(members[0].trainableParams > 0)) continue;
    const point = { x: members[0].trainableParams, y: ys.reduce((a, b) => a + b, 0) / ys.length, label: groupLabel(members) };
    byKind.set(members[0].adapterKind, [...(byKind.get(members[0].adapterKind) ?? []), point]);
  }
  scatter.data.datasets = [...byKind].map(([kind, points], i) => ({
    label: kind,
    data: points,
    borderColor: palette[i % palette.length],
    backgroundColor: withAlpha(palette[i % palette.length], 0.7),
    pointRadius: 5,
  }));
  const options = scatter.options as any;
  options.scales.y.title.text = `final val ${metric}`;
  options.plugins.tooltip.callbacks = {
    label: (item: { raw: { label: string; x: number; y: number } }) =>
      `${item.raw.label}: ${formatNumber(item.raw.y)} @ ${item.raw.x.toLocaleString('en-US')} params`,
  };
  scatter.update('none');
}

function renderMetricOptions(): void {
  const keys = availableSeries(metrics);
  if (!state.curveMetric || !keys.includes(state.curveMetric)) state.curveMetric = keys[0];
  metricSelect.replaceChildren(...keys.map((key) => el('vscode-option', { value: key }, key)));
  queueMicrotask(() => {
    if (state.curveMetric) metricSelect.value = state.curveMetric;
  });
}

function savePng(chart: Chart<any, any, any> | undefined, name: string): void {
  if (!chart) return;
  postToHost({ type: 'exportFile', format: 'png', suggestedName: name, content: chartToPng(chart, readTheme().background) });
}

function renderAll(): void {
  renderCompareTable();
  renderMetricOptions();
  renderCurves();
  renderScatter();
}

// --------------------------------------------------------------------------------------------
// Messages and layout
// --------------------------------------------------------------------------------------------

function handleMessage(message: HostToWebview): void {
  switch (message.type) {
    case 'init':
      runs = message.runs;
      metrics = { ...message.metrics };
      renderAll();
      return;
    case 'runUpdated':
      runs = runs.some((r) => r.id === message.run.id) ? runs.map((r) => (r.id === message.run.id ? message.run : r)) : [...runs, message.run];
      renderAll();
      return;
    case 'runRemoved':
      runs = runs.filter((r) => r.id !== message.runId);
      delete metrics[message.runId];
      renderAll();
      return;
    case 'metrics':
      metrics[message.runId] = [...(metrics[message.runId] ?? []), ...message.records];
      renderAll();
      return;
    case 'theme':
      onTheme();
      return;
    case 'spectrum':
    case 'inspect':
      return;
  }
}

function onTheme(): void {
  const theme = readTheme();
  for (const chart of [curves, scatter]) if (chart) applyTheme(chart, theme);
  renderCurves();
  renderScatter();
}

function button(id: string, text: string, onClick: () => void, secondary = false): HTMLElement {
  const b = el('vscode-button', { id, ...(secondary ? { secondary: '' } : {}) }, text);
  b.addEventListener('click', onClick);
  return b;
}

function main(): void {
  const group = el('vscode-checkbox', { id: 'group-seeds', label: 'Group runs that differ only by seed (mean ± 95% CI)' }) as HTMLElement & {
    checked: boolean;
  };
  group.checked = state.groupSeeds;
  group.addEventListener('change', () => {
    state.groupSeeds = group.checked;
    saveState();
    renderAll();
  });
  metricSelect.addEventListener('change', () => {
    state.curveMetric = metricSelect.value;
    saveState();
    renderCurves();
  });
  const curvesBox = chartBox('curves-chart', 'chart-box tall');
  const scatterBox = chartBox('scatter-chart', 'chart-box tall');
  showApp(
    el('h1', {}, 'Compare runs'),
    el(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Table actions' },
      group,
      button('export-csv', 'Export CSV', exportCsv),
      button('export-markdown', 'Export Markdown', exportMarkdown, true),
    ),
    note,
    el('div', { class: 'table-wrap' }, table),
    el(
      'section',
      { class: 'charts', 'aria-label': 'Comparison charts' },
      el(
        'div',
        { class: 'chart-card' },
        el(
          'div',
          { class: 'toolbar' },
          el('label', { for: 'curve-metric' }, 'Metric'),
          metricSelect,
          button('save-curves', 'Save PNG', () => savePng(curves, `symlora-${state.curveMetric ?? 'curves'}.png`), true),
        ),
        curvesBox.box,
      ),
      el(
        'div',
        { class: 'chart-card' },
        el(
          'div',
          { class: 'toolbar' },
          el('span', {}, 'Accuracy vs trainable parameters'),
          button('save-scatter', 'Save PNG', () => savePng(scatter, 'symlora-accuracy-vs-params.png'), true),
        ),
        scatterBox.box,
      ),
    ),
  );
  curves = createLineChart(curvesBox.canvas, { title: 'Curves', xLabel: 'step', yLabel: '', ariaLabel: 'Overlaid training curves of the compared runs' });
  scatter = createLineChart(
    scatterBox.canvas,
    {
      title: 'Accuracy vs trainable parameters',
      xLabel: 'trainable parameters (log)',
      yLabel: 'final val accuracy',
      logX: true,
      ariaLabel: 'Final validation metric against trainable parameters, one point per run or group',
    },
    'scatter',
  );
  watchTheme(onTheme);
  exposeForTests({
    describe: (withData = false) => ({
      state: { ...state },
      table: {
        headers: [...table.querySelectorAll('thead th')].map((th) => ({ text: th.textContent, sort: th.getAttribute('aria-sort') })),
        rows: [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      },
      charts: { curves: curves && describeChart(curves, withData), scatter: scatter && describeChart(scatter, withData) },
    }),
  });
  connectToHost(handleMessage);
}

main();
