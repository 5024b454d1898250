/**
 * Dashboard (WebviewView in the SymLoRA Lab side panel): live charts of the selected runs.
 *
 * Controls use @vscode-elements/elements, the maintained successor of Microsoft's
 * @vscode/webview-ui-toolkit (deprecated 1 Jan 2025, repository archived); its lit components
 * use constructable stylesheets and no inline style attributes, so they work under our CSP.
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { Chart } from 'chart.js';
import type { MetricRecord } from '../../src/core/protocol';
import type { HostToWebview, RunInfo } from '../../src/core/webviewProtocol';
import { applyTheme, createLineChart, describeChart, HIDDEN_FROM_LEGEND, type LineDataset, type Point } from '../shared/charts';
import { chartBox, el, showApp } from '../shared/dom';
import { connectToHost } from '../shared/messaging';
import { forEachRecordValue, Series, type XAxis } from '../shared/series';
import { readTheme, watchTheme, withAlpha } from '../shared/theme';
import { exposeForTests, getUiState, postToHost, setUiState } from '../shared/vscodeApi';

type PanelKey = 'loss' | 'accuracy' | 'lr' | 'throughput';

interface PanelDef {
  key: PanelKey;
  title: string;
  yLabel: string;
  series: { key: string; name: string; smoothed: boolean; dashed?: boolean }[];
}

const PANELS: PanelDef[] = [
  {
    key: 'loss',
    title: 'Training loss',
    yLabel: 'loss',
    series: [
      { key: 'train.loss', name: 'train loss', smoothed: true },
      { key: 'val.loss', name: 'val loss', smoothed: false, dashed: true },
    ],
  },
  {
    key: 'accuracy',
    title: 'Accuracy',
    yLabel: 'accuracy',
    series: [
      { key: 'train.accuracy', name: 'train acc', smoothed: true },
      { key: 'val.accuracy', name: 'val acc', smoothed: false, dashed: true },
    ],
  },
  { key: 'lr', title: 'Learning rate', yLabel: 'learning rate', series: [{ key: 'lr', name: 'lr', smoothed: false }] },
  { key: 'throughput', title: 'Throughput', yLabel: 'samples/s', series: [{ key: 'samplesPerSec', name: 'samples/s', smoothed: true }] },
];

interface UiState {
  /** null until the user (or the first init) chooses. */
  selected: string[] | null;
  smoothing: number;
  xAxis: XAxis;
  logY: boolean;
  hiddenPanels: PanelKey[];
}

const state: UiState = getUiState<UiState>({ selected: null, smoothing: 0.6, xAxis: 'step', logY: false, hiddenPanels: [] });
const runs = new Map<string, RunInfo>();
const series = new Map<string, Map<string, Series>>();
const charts = new Map<PanelKey, Chart<'line' | 'scatter', Point[]>>();
const dirty = new Set<PanelKey>();
let initialised = false;
const runList = el('div', { class: 'run-list', role: 'group', 'aria-label': 'Runs to show' });
const emptyNote = el('p', { class: 'empty-note' }, 'No runs yet: run an experiment to see its curves here.');

function saveState(): void {
  setUiState(state);
}

// --------------------------------------------------------------------------------------------
// Data
// --------------------------------------------------------------------------------------------

function seriesOf(runId: string, key: string): Series {
  let byKey = series.get(runId);
  if (!byKey) series.set(runId, (byKey = new Map()));
  let s = byKey.get(key);
  if (!s) byKey.set(key, (s = new Series(state.xAxis, state.smoothing)));
  return s;
}

function appendRecords(runId: string, records: MetricRecord[]): void {
  const before = new Set(series.get(runId)?.keys());
  storeRecords(runId, records);
  if (!isSelected(runId)) return;
  const created = [...(series.get(runId)?.keys() ?? [])].some((key) => !before.has(key));
  // A new series needs a dataset; otherwise the chart already holds the arrays and only redraws.
  if (created) rebuildDatasets();
  else PANELS.forEach((panel) => dirty.add(panel.key));
  scheduleRender('data');
}

function storeRecords(runId: string, records: MetricRecord[]): void {
  for (const record of records) {
    forEachRecordValue(record, (key, value) => {
      if (typeof value === 'number') seriesOf(runId, key).append(record.step, record.time, value);
    });
  }
}

function isSelected(runId: string): boolean {
  return (state.selected ?? []).includes(runId);
}

function upsertRun(run: RunInfo): void {
  const previous = runs.get(run.id);
  runs.set(run.id, run);
  // Every active run is shown as it starts, unless the user has unticked it since.
  const started = (run.status === 'running' || run.status === 'queued') && (!previous || previous.status !== run.status);
  if (started && !isSelected(run.id) && !previous) setSelection([...(state.selected ?? []), run.id]);
  renderRunList();
}

function setSelection(ids: string[]): void {
  state.selected = [...new Set(ids)];
  saveState();
  postToHost({ type: 'selectRuns', runIds: state.selected.filter((id) => runs.has(id)) });
  renderRunList();
  rebuildDatasets();
}

function handleMessage(message: HostToWebview): void {
  switch (message.type) {
    case 'init':
      runs.clear();
      series.clear();
      message.runs.forEach((run) => runs.set(run.id, run));
      for (const [runId, records] of Object.entries(message.metrics)) storeRecords(runId, records);
      initialised = true;
      setSelection(state.selected ?? message.selected ?? defaultSelection(message.runs));
      return;
    case 'runUpdated':
      upsertRun(message.run);
      return;
    case 'runRemoved':
      runs.delete(message.runId);
      series.delete(message.runId);
      setSelection((state.selected ?? []).filter((id) => id !== message.runId));
      return;
    case 'metrics':
      appendRecords(message.runId, message.records);
      return;
    case 'theme':
      onTheme();
      return;
    case 'spectrum':
    case 'inspect':
      return; // not shown on the dashboard
  }
}

function defaultSelection(all: RunInfo[]): string[] {
  const active = all.filter((run) => run.status === 'running' || run.status === 'queued').map((run) => run.id);
  return active.length > 0 ? active : all.slice(-1).map((run) => run.id);
}

// --------------------------------------------------------------------------------------------
// Charts
// --------------------------------------------------------------------------------------------

function runColour(runId: string, palette: string[]): string {
  const index = [...runs.keys()].indexOf(runId);
  return palette[(index < 0 ? runs.size : index) % palette.length];
}

function datasetsFor(panel: PanelDef, palette: string[]): LineDataset[] {
  const out: LineDataset[] = [];
  for (const runId of state.selected ?? []) {
    const colour = runColour(runId, palette);
    for (const def of panel.series) {
      const s = series.get(runId)?.get(def.key);
      if (!s) continue;
      const common = { borderColor: colour, backgroundColor: colour, borderDash: def.dashed ? [5, 3] : [] };
      if (def.smoothed) {
        out.push({ ...common, label: `${runId} · ${def.name}`, data: s.smooth });
        out.push({ ...common, label: `${runId} · ${def.name} (raw)${HIDDEN_FROM_LEGEND}`, data: s.raw, borderColor: withAlpha(colour, 0.25), borderWidth: 1 });
      } else {
        out.push({ ...common, label: `${runId} · ${def.name}`, data: s.raw, pointRadius: def.dashed ? 2 : 0 });
      }
    }
  }
  return out;
}

function rebuildDatasets(): void {
  if (!initialised) return;
  const palette = readTheme().palette;
  for (const panel of PANELS) {
    const chart = charts.get(panel.key);
    if (!chart) continue;
    chart.data.datasets = datasetsFor(panel, palette);
    dirty.add(panel.key);
  }
  emptyNote.hidden = runs.size > 0;
  scheduleRender();
}

let frameRequested = false;
let pacedTimer: ReturnType<typeof setTimeout> | undefined;
let lastRenderMs = 0;
let lastRenderEnd = 0;
/** Resolved after the next redraw (for the benchmark: when did the points actually get drawn). */
let renderWaiters: (() => void)[] = [];
/** Redraws so far (for the tests: streaming must not redraw at every message). */
let renderCount = 0;
/** Streaming redraws at most this often: a live curve reads well at 10 frames a second. */
const MIN_DATA_REDRAW_MS = 100;
/**
 * After an expensive redraw (huge series), streaming waits this many times as long as it took, so
 * charts use at most a quarter of the renderer's thread: on two cores the trainer and the
 * extension host need the rest, and the controls stay responsive.
 */
const IDLE_PER_RENDER = 3;

/**
 * Redraws the dirty charts. A user's change (axis, smoothing, selection) draws in the next
 * animation frame; new points from a run ('data') are paced by MIN_DATA_REDRAW_MS and IDLE_PER_RENDER.
 */
function scheduleRender(cause: 'user' | 'data' = 'user'): void {
  if (cause === 'user' && pacedTimer !== undefined) {
    clearTimeout(pacedTimer);
    pacedTimer = undefined;
    frameRequested = false;
  }
  if (frameRequested) return;
  frameRequested = true;
  const draw = () =>
    requestAnimationFrame(() => {
      frameRequested = false;
      const start = performance.now();
      for (const key of dirty) charts.get(key)?.update('none');
      dirty.clear();
      lastRenderEnd = performance.now();
      lastRenderMs = lastRenderEnd - start;
      renderCount++;
      const waiters = renderWaiters;
      renderWaiters = [];
      waiters.forEach((resolve) => resolve());
    });
  const wait = cause === 'data' ? Math.max(MIN_DATA_REDRAW_MS, IDLE_PER_RENDER * lastRenderMs) - (performance.now() - lastRenderEnd) : 0;
  if (wait > 0) {
    pacedTimer = setTimeout(() => {
      pacedTimer = undefined;
      draw();
    }, wait);
  } else draw();
}

function configureScales(): void {
  for (const chart of charts.values()) {
    const scales = chart.options.scales as Record<string, { type?: string; title?: { text?: string } }>;
    scales.x.type = 'linear';
    scales.x.title = { ...scales.x.title, text: state.xAxis === 'step' ? 'step' : 'wall time (s)' };
    scales.y.type = state.logY ? 'logarithmic' : 'linear';
  }
  PANELS.forEach((panel) => dirty.add(panel.key));
  scheduleRender();
}

function onTheme(): void {
  const theme = readTheme();
  charts.forEach((chart) => applyTheme(chart, theme));
  rebuildDatasets();
}

// --------------------------------------------------------------------------------------------
// Controls
// --------------------------------------------------------------------------------------------

function renderRunList(): void {
  const boxes = [...runs.values()].map((run) => {
    const box = el('vscode-checkbox', { 'data-run-id': run.id, label: `${run.id} (${run.status})` }) as HTMLElement & { checked: boolean };
    box.checked = isSelected(run.id);
    box.addEventListener('change', () => {
      const others = (state.selected ?? []).filter((id) => id !== run.id);
      setSelection(box.checked ? [...others, run.id] : others);
    });
    return box;
  });
  runList.replaceChildren(...boxes);
}

function controls(): HTMLElement {
  const axis = el(
    'vscode-single-select',
    { id: 'x-axis', 'aria-label': 'X axis' },
    el('vscode-option', { value: 'step' }, 'Step'),
    el('vscode-option', { value: 'time' }, 'Wall time (s)'),
  ) as HTMLElement & { value: string };
  axis.addEventListener('change', () => {
    state.xAxis = axis.value === 'time' ? 'time' : 'step';
    saveState();
    series.forEach((byKey) => byKey.forEach((s) => s.setAxis(state.xAxis)));
    configureScales();
  });
  queueMicrotask(() => (axis.value = state.xAxis));

  const logY = el('vscode-checkbox', { id: 'log-y', label: 'Log-scale y' }) as HTMLElement & { checked: boolean };
  logY.checked = state.logY;
  logY.addEventListener('change', () => {
    state.logY = logY.checked;
    saveState();
    configureScales();
  });

  const smoothing = el('input', { id: 'smoothing', type: 'range', min: '0', max: '0.99', step: '0.01', 'aria-label': 'Smoothing' });
  const smoothingValue = el('output', { for: 'smoothing', id: 'smoothing-value' }, state.smoothing.toFixed(2));
  smoothing.value = String(state.smoothing);
  smoothing.addEventListener('input', () => {
    state.smoothing = Number(smoothing.value);
    smoothingValue.textContent = state.smoothing.toFixed(2);
    saveState();
    series.forEach((byKey) => byKey.forEach((s) => s.setSmoothing(state.smoothing)));
    PANELS.forEach((panel) => dirty.add(panel.key));
    scheduleRender();
  });

  const panelToggles = PANELS.map((panel) => {
    const box = el('vscode-checkbox', { 'data-panel': panel.key, label: panel.title }) as HTMLElement & { checked: boolean };
    box.checked = !state.hiddenPanels.includes(panel.key);
    box.addEventListener('change', () => {
      state.hiddenPanels = box.checked ? state.hiddenPanels.filter((k) => k !== panel.key) : [...state.hiddenPanels, panel.key];
      saveState();
      document.getElementById(`panel-${panel.key}`)!.hidden = !box.checked;
    });
    return box;
  });

  return el(
    'section',
    { class: 'controls', 'aria-label': 'Dashboard controls' },
    el('h2', { class: 'section-title' }, 'Runs'),
    runList,
    el('div', { class: 'control-row' }, el('label', { for: 'x-axis' }, 'X axis'), axis, logY),
    el('div', { class: 'control-row' }, el('label', { for: 'smoothing' }, 'Smoothing'), smoothing, smoothingValue),
    el('div', { class: 'control-row', role: 'group', 'aria-label': 'Metrics to show' }, ...panelToggles),
  );
}

function chartsSection(): HTMLElement {
  const section = el('section', { class: 'charts', 'aria-label': 'Metric charts' });
  for (const panel of PANELS) {
    const { box, canvas } = chartBox(`panel-${panel.key}`);
    box.hidden = state.hiddenPanels.includes(panel.key);
    section.append(box);
    charts.set(panel.key, createLineChart(canvas, { title: panel.title, xLabel: 'step', yLabel: panel.yLabel, ariaLabel: `${panel.title} by run` }));
  }
  return section;
}

function main(): void {
  showApp(controls(), emptyNote, chartsSection());
  emptyNote.hidden = true;
  configureScales();
  watchTheme(onTheme);
  exposeForTests({
    charts,
    nextRender: () => new Promise<void>((resolve) => renderWaiters.push(resolve)),
    renderCount: () => renderCount,
    describe: (withData = false) => ({
      state: { ...state },
      runs: [...runs.keys()],
      charts: Object.fromEntries([...charts].map(([key, chart]) => [key, describeChart(chart, withData)])),
    }),
  });
  connectToHost(handleMessage);
}

main();
