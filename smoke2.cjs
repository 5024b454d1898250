const tf = require('@tensorflow/tfjs-core'); require('@tensorflow/tfjs-backend-wasm');
(async () => {
  await tf.setBackend('wasm');
  const n=512; const a = tf.randomNormal([n,n]); const b = tf.randomNormal([n,n]);
  const bench=(name,f)=>{ for (let i=0;i<3;i++) tf.tidy(()=>f().dataSync());
  let ts=[]; for (let i=0;i<10;i++){ const t=performance.now(); tf.tidy(()=>f().dataSync()); ts.push(performance.now()-t);}
  ts.sort((x,y)=>x-y); console.log(name, 'median ms', ts[5].toFixed(2), 'GF', (2*n**3/ts[5]/1e6).toFixed(2)); };
  bench('matMul', ()=>tf.matMul(a,b));
})();
