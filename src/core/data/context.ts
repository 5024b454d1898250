/** What every loader receives from the registry. */
import type { SplitSizes } from './split';

export interface LoaderContext {
  /** `task.options`, not yet validated by the loader. */
  options: Record<string, unknown>;
  sizes: SplitSizes;
  seed: number;
  baseDir?: string;
  cacheDir?: string;
  signal?: AbortSignal;
}
