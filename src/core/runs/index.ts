/** The run store: run ids, the run directory writer and readers, locks, and trainer processes. */
export * from './errors';
export * from './ids';
export * from './atomic';
export * from './paths';
export * from './record';
export * from './writer';
export * from './reader';
export * from './lock';
export * from './launcher';
export * from './queue';
