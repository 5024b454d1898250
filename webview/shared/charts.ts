/**
 * The chart layer shared by the dashboard, compare and inspector views: Chart.js (no eval, so it
 * runs under the strict CSP), tree-shaken registration, theme colours, and helpers for the
 * options every chart here uses. Line charts take pre-parsed {x, y} points (parsing: false) so
 * the LTTB decimation plugin can thin 100k-point series to about the canvas width.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Decimation,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
  type ChartType,
} from 'chart.js';
import { readTheme, type ChartTheme } from './theme';

Chart.register(
  LineController,
  ScatterController,
  BarController,
  LineElement,
  PointElement,
  BarElement,
  LinearScale,
  LogarithmicScale,
  CategoryScale,
  Decimation,
  Filler,
  Legend,
  Title,
  Tooltip,
);

export type Point = { x: number; y: number };
export type LineDataset = ChartDataset<'line', Point[]>;

/** Datasets whose label ends with this are drawn but kept out of the legend (raw curves, CI band edges). */
export const HIDDEN_FROM_LEGEND = '\u200b';

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  logX?: boolean;
  ariaLabel: string;
}

export function createLineChart(canvas: HTMLCanvasElement, options: LineChartOptions, type: 'line' | 'scatter' = 'line'): Chart<'line' | 'scatter', Point[]> {
  labelCanvas(canvas, options.ariaLabel);
  const theme = readTheme();
  const config: ChartConfiguration<'line' | 'scatter', Point[]> = {
    type,
    data: { datasets: [] },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      spanGaps: true,
      interaction: { mode: 'nearest', intersect: false },
      elements: { point: { radius: type === 'scatter' ? 4 : 0, hitRadius: 6 }, line: { borderWidth: 1.5 } },
      scales: {
        x: { type: options.logX ? 'logarithmic' : 'linear', title: { display: true, text: options.xLabel } },
        y: { type: options.logY ? 'logarithmic' : 'linear', title: { display: true, text: options.yLabel } },
      },
      plugins: {
        title: { display: true, text: options.title },
        decimation: { enabled: true, algorithm: 'lttb' },
        legend: { labels: { filter: (item) => !String(item.text).endsWith(HIDDEN_FROM_LEGEND), boxWidth: 12 } },
        tooltip: { filter: (item) => !String(item.dataset.label).endsWith(HIDDEN_FROM_LEGEND) },
      },
    },
  };
  const chart = new Chart(canvas, config);
  applyTheme(chart, theme);
  return chart;
}

export function createBarChart(canvas: HTMLCanvasElement, options: LineChartOptions): Chart<'bar', number[], string> {
  labelCanvas(canvas, options.ariaLabel);
  const chart = new Chart<'bar', number[], string>(canvas, {
    type: 'bar',
    data: { labels: [], datasets: [] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { type: 'category', title: { display: true, text: options.xLabel } },
        y: { type: 'linear', title: { display: true, text: options.yLabel } },
      },
      plugins: { title: { display: true, text: options.title }, legend: { labels: { boxWidth: 12 } } },
    },
  });
  applyTheme(chart, readTheme());
  return chart;
}

function labelCanvas(canvas: HTMLCanvasElement, label: string): void {
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
}

/** Re-colours a chart's text, grid and background for the current theme (datasets keep their colours). */
export function applyTheme<T extends ChartType>(chart: Chart<T, any, any>, theme: ChartTheme): void {
  const options = chart.options as any;
  options.color = theme.foreground;
  options.font = { family: theme.fontFamily, size: Math.max(10, theme.fontSize - 1) };
  for (const scale of Object.values(options.scales ?? {}) as any[]) {
    scale.ticks = { ...scale.ticks, color: theme.muted };
    scale.grid = { ...scale.grid, color: theme.grid };
    scale.border = { ...scale.border, color: theme.grid };
    scale.title = { ...scale.title, color: theme.foreground };
  }
  options.plugins.title.color = theme.foreground;
  options.plugins.legend.labels.color = theme.foreground;
  chart.update('none');
}

/** The chart as a PNG data URL, painted on the theme background (a transparent PNG is unreadable elsewhere). */
export function chartToPng(chart: Chart<any, any, any>, background: string): string {
  const source = chart.canvas;
  const canvas = document.createElement('canvas');
  canvas.width = source.width;
  canvas.height = source.height;
  const context = canvas.getContext('2d')!;
  context.fillStyle = background;
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(source, 0, 0);
  return canvas.toDataURL('image/png');
}

/** What a test (or a debugging user) needs to know about a chart without touching Chart.js internals. */
export function describeChart(chart: Chart<any, any, any>, withData = false) {
  const scales = chart.options.scales as Record<string, { type?: string }>;
  return {
    type: (chart.config as { type: string }).type,
    xScale: scales.x?.type,
    yScale: scales.y?.type,
    labels: chart.data.labels ?? [],
    datasets: chart.data.datasets.map((dataset: any, i: number) => {
      const raw = dataset._data ?? dataset.data;
      return {
        label: String(dataset.label),
        length: raw.length,
        drawn: chart.getDatasetMeta(i).data.length,
        hidden: !chart.isDatasetVisible(i),
        data: withData ? (raw as unknown[]) : undefined,
        borderColor: dataset.borderColor,
        backgroundColor: dataset.backgroundColor,
      };
    }),
  };
}
