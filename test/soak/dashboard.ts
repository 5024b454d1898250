/**
 * Reads the live dashboard webview through its test hooks (window.__symlora, present because the
 * harness sets __SYMLORA_TEST__): how many points its charts hold and draw, the newest step, and
 * the JS heap its renderer reports.
 */
import type { Frame, Page } from 'playwright-core';

export interface DashboardState {
  /** Points the charts hold (every series of every panel, before Chart.js's LTTB decimation). */
  points: number;
  /** Points Chart.js draws after decimation (about the canvas width per series). */
  drawnPoints: number;
  /** Newest step on the loss chart (its x axis is the step), or -1 before any point. */
  newestStep: number;
  /** performance.memory.usedJSHeapSize, precise with --enable-precise-memory-info. */
  heapBytes?: number;
}

/** The dashboard's frame: the one whose hooks describe a 'loss' chart. */
export async function findDashboardFrame(page: Page): Promise<Frame | undefined> {
  for (const frame of page.frames()) {
    const isDashboard = await frame
      .evaluate(() => {
        const hooks = (window as unknown as { __symlora?: { describe?: () => { charts: Record<string, unknown> } } }).__symlora;
        return typeof hooks?.describe === 'function' && 'loss' in hooks.describe().charts;
      })
      .catch(() => false);
    if (isDashboard) return frame;
  }
  return undefined;
}

/**
 * Milliseconds until the dashboard's main thread renders a frame: high when chart redraws (or a
 * flood of messages) keep it busy, so the dashboard's own controls would not respond.
 */
export async function frameLatencyMs(frame: Frame): Promise<number> {
  return frame.evaluate(() => {
    const start = performance.now();
    return new Promise<number>((done) => requestAnimationFrame(() => done(performance.now() - start)));
  });
}

export async function readDashboard(frame: Frame): Promise<DashboardState> {
  return frame.evaluate(() => {
    // With decimation on, Chart.js keeps the full array in `_data` and draws `data`.
    type Dataset = { data: { x: number }[]; _data?: { x: number }[] };
    const hooks = (window as unknown as { __symlora: { charts: Map<string, { data: { datasets: Dataset[] } }> } }).__symlora;
    let points = 0;
    let drawnPoints = 0;
    for (const chart of hooks.charts.values()) {
      for (const dataset of chart.data.datasets) {
        points += (dataset._data ?? dataset.data).length;
        drawnPoints += dataset.data.length;
      }
    }
    let newestStep = -1;
    for (const dataset of hooks.charts.get('loss')?.data.datasets ?? []) newestStep = Math.max(newestStep, (dataset._data ?? dataset.data).at(-1)?.x ?? -1);
    const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
    return { points, drawnPoints, newestStep, heapBytes: memory?.usedJSHeapSize };
  });
}
