/** Starting points for "SymLoRA: New Experiment". Each is a complete, valid experiment file. */
export interface ExperimentTemplate {
  id: string;
  label: string;
  detail: string;
  fileName: string;
  content: object;
}

const teacherTask = (kind: 'symmetric' | 'asymmetric') => ({
  dataset: 'teacher',
  shift: { rank: 4, kind, scale: 0.5 },
  trainSize: 2048,
  valSize: 256,
  testSize: 512,
});
const smallMlp = { arch: 'mlp', inputDim: 32, hidden: [32, 32], classes: 8 };

export const TEMPLATES: ExperimentTemplate[] = [
  {
    id: 'lora-vs-symlora',
    label: 'LoRA vs SymLoRA on a symmetric shift',
    detail: 'A small MLP adapts to a teacher whose weights moved by a symmetric rank-4 update; 2 kinds × 2 seeds, under a minute on 2 cores.',
    fileName: 'lora-vs-symlora.symlora.json',
    content: {
      name: 'lora-vs-symlora',
      description: 'Does a symmetric adapter match LoRA with half the parameters when the true shift is symmetric?',
      model: smallMlp,
      task: teacherTask('symmetric'),
      adapter: { kind: 'symlora', rank: 4, alpha: 8 },
      train: { epochs: 3, batchSize: 64, lr: 0.01 },
      seed: 1,
      sweep: { 'adapter.kind': ['lora', 'symlora'], seed: [1, 2] },
    },
  },
  {
    id: 'rank-sweep',
    label: 'Rank sweep on an asymmetric shift',
    detail: 'Where a symmetric update cannot follow: ranks 1, 2, 4, 8 for both kinds.',
    fileName: 'rank-sweep.symlora.json',
    content: {
      name: 'rank-sweep',
      description: 'Accuracy against trainable parameters when the teacher shift is not symmetric.',
      model: smallMlp,
      task: teacherTask('asymmetric'),
      adapter: { kind: 'lora', rank: 4, alpha: 8 },
      train: { epochs: 3, batchSize: 64, lr: 0.01 },
      seed: 1,
      sweep: { 'adapter.kind': ['lora', 'symlora'], 'adapter.rank': [1, 2, 4, 8] },
    },
  },
  {
    id: 'minimal',
    label: 'Minimal single run',
    detail: 'One SymLoRA run with every other field at its default.',
    fileName: 'experiment.symlora.json',
    content: {
      name: 'my-experiment',
      model: smallMlp,
      task: { dataset: 'teacher', shift: { rank: 2, kind: 'symmetric' } },
      adapter: { kind: 'symlora', rank: 2 },
    },
  },
];

export function templateText(template: ExperimentTemplate): string {
  return `${JSON.stringify(template.content, null, 2)}\n`;
}
