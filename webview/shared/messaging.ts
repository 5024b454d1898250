/** Receiving host messages, and the ready handshake. */
import { HOST_TO_WEBVIEW_TYPES, type HostToWebview } from '../../src/core/webviewProtocol';
import { postToHost } from './vscodeApi';

/**
 * Listens for host messages, then tells the host the webview is ready (the host sends nothing
 * before that). Anything that is not a known message is reported to the host and dropped.
 */
export function connectToHost(handler: (message: HostToWebview) => void): void {
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const data = event.data;
    if (!isHostMessage(data)) {
      postToHost({ type: 'log', level: 'warn', message: `webview ignored an unknown message: ${describe(data)}` });
      return;
    }
    try {
      handler(data);
    } catch (error) {
      postToHost({ type: 'log', level: 'error', message: `webview failed on '${data.type}': ${String((error as Error)?.stack ?? error)}` });
    }
  });
  postToHost({ type: 'ready' });
}

function isHostMessage(data: unknown): data is HostToWebview {
  return typeof data === 'object' && data !== null && (HOST_TO_WEBVIEW_TYPES as readonly unknown[]).includes((data as { type?: unknown }).type);
}

function describe(data: unknown): string {
  try {
    return (JSON.stringify(data) ?? typeof data).slice(0, 100);
  } catch {
    return typeof data;
  }
}
