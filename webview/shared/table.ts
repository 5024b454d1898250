/** A sortable, keyboard-accessible table (header buttons, aria-sort). */
import type { Cell } from './csv';

export interface Column {
  key: string;
  label: string;
  numeric?: boolean;
  /** Display text; the raw value is used for sorting and exports. */
  format?: (value: Cell, row: Row) => string;
}

export interface SortState {
  key: string;
  direction: 'asc' | 'desc';
}

export type Row = Record<string, Cell>;

export function sortRows(rows: readonly Row[], sort: SortState | undefined): Row[] {
  if (!sort) return rows.slice();
  const sign = sort.direction === 'asc' ? 1 : -1;
  return rows.slice().sort((a, b) => {
    const [emptyA, emptyB] = [isEmpty(a[sort.key]), isEmpty(b[sort.key])];
    // Empty cells go last whichever the direction.
    if (emptyA || emptyB) return emptyA === emptyB ? 0 : emptyA ? 1 : -1;
    return sign * compareCells(a[sort.key], b[sort.key]);
  });
}

function isEmpty(value: Cell): boolean {
  return value === null || value === undefined || value === '' || (typeof value === 'number' && Number.isNaN(value));
}

/** Numbers numerically, text naturally. */
function compareCells(a: Cell, b: Cell): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function nextSort(current: SortState | undefined, key: string): SortState {
  return current?.key === key && current.direction === 'asc' ? { key, direction: 'desc' } : { key, direction: 'asc' };
}

export function renderTable(
  table: HTMLTableElement,
  columns: readonly Column[],
  rows: readonly Row[],
  sort: SortState | undefined,
  onSort: (key: string) => void,
): void {
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const column of columns) {
    const th = document.createElement('th');
    th.scope = 'col';
    if (column.numeric) th.classList.add('numeric');
    th.setAttribute('aria-sort', sort?.key === column.key ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sort-button';
    button.dataset.key = column.key;
    button.textContent = column.label + (sort?.key === column.key ? (sort.direction === 'asc' ? ' ▲' : ' ▼') : '');
    button.setAttribute('aria-label', `Sort by ${column.label}`);
    button.addEventListener('click', () => onSort(column.key));
    th.append(button);
    head.append(th);
  }
  const body = table.createTBody();
  for (const row of sortRows(rows, sort)) {
    const tr = body.insertRow();
    for (const column of columns) {
      const td = tr.insertCell();
      if (column.numeric) td.classList.add('numeric');
      const value = row[column.key];
      td.textContent = column.format ? column.format(value, row) : value === null || value === undefined ? '' : String(value);
    }
  }
}

export function formatNumber(value: Cell, digits = 4): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value === null || value === undefined ? '' : String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Math.abs(value) >= 1e4 || Math.abs(value) < 1e-3 ? value.toExponential(3) : Number(value.toPrecision(digits)).toString();
}
