/** Small DOM helpers (no innerHTML with data: text goes through textContent). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes?: Record<string, string>,
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K];
export function el(tag: string, attributes?: Record<string, string>, ...children: (Node | string)[]): HTMLElement;
export function el(tag: string, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** A canvas in a sized box (Chart.js with maintainAspectRatio: false needs a sized parent). */
export function chartBox(id: string, className = 'chart-box'): { box: HTMLDivElement; canvas: HTMLCanvasElement } {
  const canvas = el('canvas', { id: `${id}-canvas` });
  const box = el('div', { class: className, id }, canvas);
  return { box, canvas };
}

export function showApp(...children: Node[]): HTMLElement {
  const app = document.getElementById('app') ?? document.body.appendChild(el('main', { id: 'app' }));
  app.replaceChildren(...children);
  app.removeAttribute('aria-busy');
  return app;
}
