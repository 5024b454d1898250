/** Renders a Report as an aligned terminal table, as Markdown, or as JSON. */
import type { GroupStats, PairedComparison, Report } from './aggregate';

/** Significance level the verdict column uses (two-sided paired t-test). */
export const ALPHA = 0.05;

const num = (value: number | null | undefined, digits = 4) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–');
const signed = (value: number | null | undefined, digits = 4) =>
  typeof value === 'number' && Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}` : '–';
const int = (value: number | null | undefined) => (typeof value === 'number' ? value.toLocaleString('en-US') : '–');
const pValue = (p: number) => (!Number.isFinite(p) ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3));
const secs = (value: number | undefined) => (typeof value === 'number' && Number.isFinite(value) ? `${value.toFixed(1)} s` : '–');

interface Table {
  head: string[];
  /** Right-aligned columns. */
  right: boolean[];
  rows: string[][];
}

function groupTable(groups: readonly GroupStats[]): Table {
  return {
    head: ['kind', 'rank', 'trainable', 'adapter', 'seeds', 'mean ± std', '95% CI', 'wall time'],
    right: [false, true, true, true, true, true, true, true],
    rows: groups.map((g) => [
      g.kind,
      g.rank === null ? '–' : String(g.rank),
      int(g.trainable),
      int(g.adapterParams),
      String(g.metric.n),
      `${num(g.metric.mean)} ± ${num(g.metric.std)}`,
      g.metric.n < 2 ? '–' : `[${num(g.metric.low)}, ${num(g.metric.high)}]`,
      secs(g.wallTimeSec?.mean),
    ]),
  };
}

/** A short reading of one comparison: which side is higher, if the paired t-test says so at ALPHA. */
export function verdict(c: PairedComparison): string {
  if (c.seeds.length < 2 || !Number.isFinite(c.tTest.p)) return 'too few paired seeds';
  if (c.tTest.p >= ALPHA) return 'no significant difference';
  return c.tTest.meanDiff > 0 ? 'SymLoRA higher' : 'SymLoRA lower';
}

function comparisonTable(comparisons: readonly PairedComparison[]): Table {
  return {
    head: ['comparison', 'SymLoRA (params)', 'LoRA (params)', 'pairs', 'Δ mean (Sym − LoRA)', '95% CI of Δ', 't-test p', 'Holm p', 'Wilcoxon p', 'reading'],
    right: [false, false, false, true, true, true, true, true, true, false],
    rows: comparisons.map((c) => [
      c.type === 'equal-rank' ? 'equal rank' : 'equal params',
      `r${c.symlora.rank} (${int(c.symlora.trainable)})`,
      `r${c.lora.rank} (${int(c.lora.trainable)})`,
      String(c.seeds.length),
      signed(c.difference?.mean),
      c.difference && c.seeds.length > 1 ? `[${signed(c.difference.low)}, ${signed(c.difference.high)}]` : '–',
      pValue(c.tTest.p),
      pValue(c.holmP),
      pValue(c.wilcoxon.p),
      verdict(c),
    ]),
  };
}

function plain(table: Table): string {
  const widths = table.head.map((h, i) => Math.max(h.length, ...table.rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (table.right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(table.head), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n') + '\n';
}

function markdown(table: Table): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const line = (cells: string[]) => `| ${cells.map(escape).join(' | ')} |`;
  return [line(table.head), `|${table.right.map((r) => (r ? '---:' : ':---')).join('|')}|`, ...table.rows.map(line)].join('\n') + '\n';
}

interface Section {
  title: string;
  groups: GroupStats[];
  comparisons: PairedComparison[];
}

/** One section per experiment and variant (e.g. an alpha sweep), in the report's group order. */
function sections(report: Report): Section[] {
  const byTitle = new Map<string, Section>();
  const titleOf = (experiment: string, dataset: string, variant: string) => `${experiment} — ${dataset}${variant ? ` (${variant})` : ''}`;
  for (const g of report.groups) {
    const title = titleOf(g.experiment, g.dataset, g.variant);
    const section = byTitle.get(title) ?? { title, groups: [], comparisons: [] };
    byTitle.set(title, section);
    section.groups.push(g);
  }
  for (const c of report.comparisons) byTitle.get(titleOf(c.experiment, c.dataset, c.variant))?.comparisons.push(c);
  return [...byTitle.values()];
}

function footer(report: Report): string[] {
  const lines = [`${report.runsUsed} runs used; backend: ${report.backends.join(', ') || '–'}.`];
  if (report.skipped.length) lines.push(`${report.skipped.length} runs skipped: ${report.skipped.map((s) => `${s.id} (${s.reason})`).join('; ')}`);
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return lines;
}

export function renderText(report: Report): string {
  if (report.groups.length === 0) return ['no completed runs to report', ...footer(report)].join('\n') + '\n';
  const parts: string[] = [];
  for (const section of sections(report)) {
    parts.push(`${section.title}   [final ${report.metric} over seeds]\n`, plain(groupTable(section.groups)));
    if (section.comparisons.length) parts.push('\n', plain(comparisonTable(section.comparisons)));
    parts.push('\n');
  }
  parts.push(footer(report).join('\n') + '\n');
  return parts.join('');
}

export function renderMarkdown(report: Report, options: { headingLevel?: number } = {}): string {
  const hashes = '#'.repeat(options.headingLevel ?? 3);
  if (report.groups.length === 0) return `_No completed runs to report._\n\n${footer(report).join('\n\n')}\n`;
  const parts: string[] = [];
  for (const section of sections(report)) {
    parts.push(
      `${hashes} ${section.title}\n\n`,
      `Final ${report.metric}, mean ± sample standard deviation over seeds, 95% Student-t interval of the mean.\n\n`,
      markdown(groupTable(section.groups)),
    );
    if (section.comparisons.length) {
      parts.push(
        '\nPaired by seed (Δ = SymLoRA − LoRA); equal params = SymLoRA at rank 2r against LoRA at rank r. Holm p: the t-test p-value adjusted over this table; the reading uses the unadjusted p at 0.05.\n\n',
        markdown(comparisonTable(section.comparisons)),
      );
    }
    parts.push('\n');
  }
  parts.push(
    footer(report)
      .map((line) => `_${line.replace(/_/g, '\\_')}_`)
      .join('\n\n') + '\n',
  );
  return parts.join('');
}

/** JSON with non-finite numbers as null (JSON has no NaN or Infinity). */
export function renderJson(report: Report): string {
  return JSON.stringify(report, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2) + '\n';
}
