/** Learning-rate schedules: linear warmup, then constant or cosine decay to zero. */
import type { Schedule } from '../experiment/types';

export function learningRate(step: number, totalSteps: number, baseLr: number, schedule: Schedule, warmupSteps: number): number {
  if (warmupSteps > 0 && step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
  if (schedule === 'constant') return baseLr;
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  return 0.5 * baseLr * (1 + Math.cos(Math.PI * progress));
}
