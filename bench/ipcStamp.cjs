/**
 * Benchmark-only trainer wrapper: stamps every IPC message with its send time (epoch ms, the same
 * clock the host reads), then runs the real bundled trainer. Lets the host measure IPC latency
 * without changing the protocol. Usage: launchTrainer({ trainerPath: 'bench/ipcStamp.cjs',
 * env: { SYMLORA_BENCH_TRAINER: '/abs/dist/trainer.js' } }).
 */
const send = process.send.bind(process);
process.send = (message, ...rest) => {
  if (message && typeof message === 'object') message.sentAt = performance.timeOrigin + performance.now();
  return send(message, ...rest);
};
require(process.env.SYMLORA_BENCH_TRAINER);
