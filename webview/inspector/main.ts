/**
 * Adapter inspector (the browser side of the adapter custom editor): per-layer spectrum bars
 * (signed eigenvalues of a SymLoRA update; singular values and symmetric-part eigenvalues of a
 * LoRA update), a table of each layer's spectral metrics, and each eigenvalue's trajectory over
 * training. Controls: @vscode-elements/elements (successor of the deprecated webview UI toolkit).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { Chart } from 'chart.js';
import type { LayerSpectrum, SpectrumRecord } from '../../src/core/protocol';
import type { HostToWebview } from '../../src/core/webviewProtocol';
import { applyTheme, chartToPng, createBarChart, createLineChart, describeChart, type LineDataset, type Point } from '../shared/charts';
import { chartBox, el, showApp } from '../shared/dom';
import { connectToHost } from '../shared/messaging';
import { formatNumber, nextSort, renderTable, type Column, type Row, type SortState } from '../shared/table';
import { readTheme, watchTheme, withAlpha } from '../shared/theme';
import { exposeForTests, getUiState, postToHost, setUiState } from '../shared/vscodeApi';

interface UiState {
  layer?: string;
  sort?: SortState;
}

const state = getUiState<UiState>({});
let title = '';
let runId: string | undefined;
let spectra: SpectrumRecord[] = [];
let final: LayerSpectrum[] = [];
let spectrumChart: Chart<'bar', number[], string> | undefined;
let trajectoryChart: Chart<'line' | 'scatter', Point[]> | undefined;
const heading = el('h1', { id: 'inspector-title' });
const layerSelect = el('vscode-single-select', { id: 'layer', 'aria-label': 'Layer' }) as HTMLElement & { value: string };
const table = el('table', { class: 'data-table', id: 'spectrum-table', 'aria-label': 'Spectral metrics per layer' });
const note = el('p', { class: 'note', id: 'inspector-note' });

const COLUMNS: Column[] = [
  { key: 'layer', label: 'layer' },
  { key: 'adapter', label: 'adapter' },
  { key: 'rank', label: 'rank', numeric: true },
  { key: 'topEigenvalue', label: 'top λ', numeric: true },
  { key: 'topSingularValue', label: 'top σ', numeric: true },
  { key: 'effectiveRank', label: 'effective rank', numeric: true },
  { key: 'relativeNorm', label: '‖ΔW‖₂/‖W‖₂', numeric: true },
  { key: 'orthogonalityError', label: '‖QᵀQ−I‖', numeric: true },
  { key: 'energyTop1', label: 'energy top-1', numeric: true },
  { key: 'alignmentTop1', label: 'alignment top-1', numeric: true },
].map((c) => ({ ...c, format: (v) => formatNumber(v) }));

function metricsRow(layer: LayerSpectrum): Row {
  return {
    layer: layer.layer,
    adapter: layer.adapter,
    rank: layer.eigenvalues.length || layer.singularValues.length,
    topEigenvalue: layer.eigenvalues[0],
    topSingularValue: layer.singularValues[0],
    effectiveRank: layer.effectiveRank,
    relativeNorm: layer.relativeNorm,
    orthogonalityError: layer.orthogonalityError,
    energyTop1: layer.energy?.[0],
    alignmentTop1: layer.alignment?.[0],
  };
}

function currentLayer(): LayerSpectrum | undefined {
  return final.find((l) => l.layer === state.layer) ?? final[0];
}

function selectLayer(name: string): void {
  state.layer = name;
  setUiState(state);
  if (layerSelect.value !== name) layerSelect.value = name;
  renderAll();
}

// --------------------------------------------------------------------------------------------
// Rendering
// --------------------------------------------------------------------------------------------

function renderTableView(): void {
  renderTable(table, COLUMNS, final.map(metricsRow), state.sort, (key) => {
    state.sort = nextSort(state.sort, key);
    setUiState(state);
    renderTableView();
    table.querySelector<HTMLButtonElement>(`button[data-key="${CSS.escape(key)}"]`)?.focus();
  });
  for (const tr of table.querySelectorAll<HTMLTableRowElement>('tbody tr')) {
    const name = tr.cells[0].textContent ?? '';
    tr.tabIndex = 0;
    tr.dataset.layer = name;
    if (name === currentLayer()?.layer) tr.setAttribute('aria-current', 'true');
    tr.classList.toggle('selected', name === currentLayer()?.layer);
    tr.addEventListener('click', () => selectLayer(name));
    tr.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      selectLayer(name);
      table.querySelector<HTMLElement>(`tbody tr[data-layer="${CSS.escape(name)}"]`)?.focus();
    });
  }
}

/**
 * λᵢ gets the same colour in the spectrum bars as its line in the trajectory chart; the sign needs
 * no colour of its own, since a signed bar already sits above or below zero.
 */
function eigenvalueColour(i: number, palette: readonly string[]): string {
  return palette[i % palette.length];
}

function eigenvalueColours(count: number, palette: readonly string[]): string[] {
  return Array.from({ length: count }, (_, i) => eigenvalueColour(i, palette));
}

function renderSpectrum(): void {
  const layer = currentLayer();
  if (!spectrumChart || !layer) return;
  const palette = readTheme().palette;
  const count = Math.max(layer.eigenvalues.length, layer.singularValues.length);
  spectrumChart.data.labels = Array.from({ length: count }, (_, i) => String(i + 1));
  if (layer.adapter === 'symlora') {
    spectrumChart.data.datasets = [
      { label: 'eigenvalues (signed)', data: layer.eigenvalues, backgroundColor: eigenvalueColours(layer.eigenvalues.length, palette) },
    ];
  } else {
    spectrumChart.data.datasets = [
      // Singular values in the foreground colour: the palette's colours belong to the λᵢ.
      { label: 'singular values', data: layer.singularValues, backgroundColor: withAlpha(readTheme().foreground, 0.45) },
      { label: 'eigenvalues of the symmetric part', data: layer.eigenvalues, backgroundColor: eigenvalueColours(layer.eigenvalues.length, palette) },
    ];
  }
  const options = spectrumChart.options as any;
  options.plugins.title.text = `${layer.layer} (${layer.adapter})`;
  options.scales.x.title.text = 'index i (by magnitude)';
  spectrumChart.update('none');
}

function renderTrajectory(): void {
  const layer = currentLayer();
  if (!trajectoryChart) return;
  const palette = readTheme().palette;
  const lines = new Map<number, Point[]>();
  for (const snapshot of spectra) {
    const values = snapshot.layers.find((l) => l.layer === layer?.layer)?.eigenvalues ?? [];
    values.forEach((y, i) => lines.set(i, [...(lines.get(i) ?? []), { x: snapshot.step, y }]));
  }
  trajectoryChart.data.datasets = [...lines].map(([i, data]): LineDataset => ({
    label: `λ${i + 1}`,
    data,
    borderColor: eigenvalueColour(i, palette),
    backgroundColor: eigenvalueColour(i, palette),
    pointRadius: data.length < 50 ? 2 : 0,
  }));
  note.textContent = spectra.length === 0 ? 'No spectrum history: this adapter file has no training log beside it.' : '';
  trajectoryChart.update('none');
}

function renderLayerOptions(): void {
  layerSelect.replaceChildren(...final.map((l) => el('vscode-option', { value: l.layer }, `${l.layer} (${l.adapter})`)));
  const layer = currentLayer();
  queueMicrotask(() => {
    if (layer) layerSelect.value = layer.layer;
  });
}

function renderAll(): void {
  heading.textContent = title;
  renderTableView();
  renderSpectrum();
  renderTrajectory();
}

function savePng(chart: Chart<any, any, any> | undefined, name: string): void {
  if (!chart) return;
  postToHost({ type: 'exportFile', format: 'png', suggestedName: name, content: chartToPng(chart, readTheme().background) });
}

function safeName(text: string): string {
  return (
    text
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/\.{2,}/g, '.')
      .replace(/^[._-]+/, '') || 'layer'
  );
}

// --------------------------------------------------------------------------------------------
// Messages and layout
// --------------------------------------------------------------------------------------------

function handleMessage(message: HostToWebview): void {
  switch (message.type) {
    case 'inspect':
      title = message.title;
      runId = message.runId;
      spectra = [...message.spectra].sort((a, b) => a.step - b.step);
      final = message.final;
      renderLayerOptions();
      renderAll();
      return;
    case 'spectrum':
      if (message.runId !== runId) return;
      spectra.push(message.record);
      final = message.record.layers;
      renderAll();
      return;
    case 'theme':
      onTheme();
      return;
    default:
      return; // run messages are for the dashboard and compare views
  }
}

function onTheme(): void {
  const theme = readTheme();
  for (const chart of [spectrumChart, trajectoryChart]) if (chart) applyTheme(chart, theme);
  renderSpectrum();
  renderTrajectory();
}

function button(id: string, text: string, onClick: () => void): HTMLElement {
  const b = el('vscode-button', { id, secondary: '' }, text);
  b.addEventListener('click', onClick);
  return b;
}

function main(): void {
  layerSelect.addEventListener('change', () => selectLayer(layerSelect.value));
  const spectrumBox = chartBox('spectrum-chart', 'chart-box tall');
  const trajectoryBox = chartBox('trajectory-chart', 'chart-box tall');
  showApp(
    heading,
    el('div', { class: 'toolbar' }, el('label', { for: 'layer' }, 'Layer'), layerSelect),
    el(
      'section',
      { class: 'charts', 'aria-label': 'Spectrum charts' },
      el(
        'div',
        { class: 'chart-card' },
        el(
          'div',
          { class: 'toolbar' },
          button('save-spectrum', 'Save PNG', () => savePng(spectrumChart, `spectrum-${safeName(currentLayer()?.layer ?? '')}.png`)),
        ),
        spectrumBox.box,
      ),
      el(
        'div',
        { class: 'chart-card' },
        el(
          'div',
          { class: 'toolbar' },
          button('save-trajectory', 'Save PNG', () => savePng(trajectoryChart, `eigenvalues-${safeName(currentLayer()?.layer ?? '')}.png`)),
        ),
        trajectoryBox.box,
      ),
    ),
    note,
    el('h2', {}, 'Layers'),
    el('div', { class: 'table-wrap' }, table),
  );
  spectrumChart = createBarChart(spectrumBox.canvas, {
    title: 'Spectrum',
    xLabel: 'index i',
    yLabel: 'value',
    ariaLabel: 'Spectrum of the selected layer’s update',
  });
  trajectoryChart = createLineChart(trajectoryBox.canvas, {
    title: 'Eigenvalues over training',
    xLabel: 'step',
    yLabel: 'λᵢ',
    ariaLabel: 'Each eigenvalue of the selected layer over training steps',
  });
  watchTheme(onTheme);
  exposeForTests({
    describe: (withData = false) => ({
      state: { ...state },
      title: heading.textContent,
      table: {
        headers: [...table.querySelectorAll('thead th')].map((th) => th.textContent),
        rows: [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
        selected: table.querySelector('tbody tr.selected')?.getAttribute('data-layer'),
      },
      charts: { spectrum: spectrumChart && describeChart(spectrumChart, withData), trajectory: trajectoryChart && describeChart(trajectoryChart, withData) },
    }),
  });
  connectToHost(handleMessage);
}

main();
