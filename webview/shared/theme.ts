/**
 * Colours from VS Code's theme variables, re-read whenever the theme changes (VS Code swaps the
 * body class vscode-light / vscode-dark / vscode-high-contrast and rewrites the variables on <html>).
 */
import { color } from 'chart.js/helpers';

export interface ChartTheme {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  foreground: string;
  muted: string;
  background: string;
  grid: string;
  fontFamily: string;
  fontSize: number;
  palette: string[];
}

const PALETTE_VARS: [string, string][] = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-yellow', '#cca700'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-purple', '#b180d7'],
];

export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  const css = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const kind = themeKind();
  const dark = kind === 'dark' || kind === 'high-contrast';
  const foreground = css('--vscode-foreground', dark ? '#cccccc' : '#616161');
  return {
    kind,
    foreground,
    muted: css('--vscode-descriptionForeground', foreground),
    background: css('--vscode-editor-background', dark ? '#1e1e1e' : '#ffffff'),
    grid: css('--vscode-charts-lines', withAlpha(foreground, 0.2)),
    fontFamily: css('--vscode-font-family', 'sans-serif'),
    fontSize: parseFloat(css('--vscode-font-size', '13')) || 13,
    palette: PALETTE_VARS.map(([name, fallback]) => css(name, fallback)),
  };
}

function themeKind(): ChartTheme['kind'] {
  const classes = document.body.classList;
  if (classes.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (classes.contains('vscode-high-contrast')) return 'high-contrast';
  if (classes.contains('vscode-dark')) return 'dark';
  return 'light';
}

/** `cssColor` with opacity `alpha` (for the faint raw curve behind a smoothed one, and CI bands). */
export function withAlpha(cssColor: string, alpha: number): string {
  const parsed = color(cssColor);
  return parsed.valid ? parsed.alpha(alpha).rgbString() : cssColor;
}

/** Calls `onChange` (debounced to one frame) whenever the theme class or variables change. */
export function watchTheme(onChange: (theme: ChartTheme) => void): void {
  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      onChange(readTheme());
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}
