// Preloaded into a trainer (node --require): as it exits, appends one JSON line to $THREAD_CPU_LOG
// with the CPU seconds of its main thread and of all its other threads (V8 workers, libuv, BLAS).
const fs = require('node:fs');

process.on('exit', () => {
  let main = 0;
  let others = 0;
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in ticks
      if (tid === String(process.pid)) main = seconds;
      else others += seconds;
    } catch {
      // the thread ended while we read
    }
  }
  if (process.env.THREAD_CPU_LOG) fs.appendFileSync(process.env.THREAD_CPU_LOG, `${JSON.stringify({ main, others })}\n`);
});
