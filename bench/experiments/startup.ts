/** Where the time before the first metric goes: module load, backend init, prepareRun (CPU and wall). */
const t0 = performance.now();
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const mark = (label: string, w: number, c: number) =>
  console.log(label.padEnd(28), `${(performance.now() - w).toFixed(0)} ms wall`, `${(cpu() - c).toFixed(0)} ms cpu`);
async function main() {
  let w = performance.now();
  let c = cpu();
  const { initBackend } = await import('../../src/core/backend');
  const { prepareRun } = await import('../../src/core/train/session');
  const { quickstartSpecs } = await import('../e2e');
  mark('import engine (tsx)', w, c);
  w = performance.now();
  c = cpu();
  await initBackend('auto');
  mark('initBackend(auto)', w, c);
  w = performance.now();
  c = cpu();
  const run = await prepareRun(quickstartSpecs()[0]);
  mark('prepareRun(quickstart)', w, c);
  console.log('total since process start', (performance.now() - t0).toFixed(0), 'ms', run.backend.name);
}
void main();
