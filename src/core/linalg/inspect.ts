/**
 * Spectra of a whole adapter on disk (ours or PEFT's), one layer in memory at a time, with
 * base-relative numbers where the run saved `base_layers.safetensors`. Shared by
 * `symlora inspect` and the adapter editor.
 */
import { openAdapter, readBaseLayers, type AdapterBundleConfig, type AdapterLayerInfo } from '../io/adapterFile';
import type { LayerSpectrum } from '../protocol';
import { layerSpectrum } from './spectra';

export interface AdapterInspection {
  format: 'symlora-lab' | 'peft';
  config: AdapterBundleConfig;
  layers: AdapterLayerInfo[];
  spectra: LayerSpectrum[];
}

export function inspectAdapter(pathOrDir: string): AdapterInspection {
  const handle = openAdapter(pathOrDir);
  try {
    const spectra = handle.layers.map((info) => {
      const base = readBaseLayers(pathOrDir, [{ layer: info.layer, shape: info.shape }]).get(info.layer);
      return layerSpectrum(handle.readLayer(info.layer), base);
    });
    return { format: handle.format, config: handle.config, layers: handle.layers, spectra };
  } finally {
    handle.close();
  }
}
