/** The soak test's experiment: one run that streams metrics far longer than any soak lasts. */

/**
 * A teacher-task MLP with a SymLoRA adapter at an ordinary cadence: a train record every step,
 * validation once per epoch (256 steps), a spectrum snapshot every 50 steps (as the examples do),
 * a checkpoint every 1000. 10,000 epochs × 256 steps would take hours at any speed this code
 * reaches, so the soak always ends the run itself, with Stop Run, when its time is up.
 */
export function soakExperiment(name = 'soak'): string {
  const experiment = {
    name,
    description: 'Soak test: one long run streaming to the dashboard; stopped from the UI when the soak ends.',
    model: { arch: 'mlp', inputDim: 32, hidden: [32, 32], classes: 4 },
    task: { dataset: 'teacher', shift: { rank: 2, kind: 'symmetric', scale: 0.5 }, trainSize: 8192, valSize: 256, testSize: 256 },
    adapter: { kind: 'symlora', rank: 4, alpha: 8, trainHead: true },
    train: { epochs: 10000, batchSize: 32, lr: 0.003, evalEvery: 0, spectrumEvery: 50, checkpointEvery: 1000 },
    seed: 0,
  };
  return `${JSON.stringify(experiment, null, 2)}\n`;
}
