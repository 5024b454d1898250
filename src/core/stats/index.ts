/** Statistics for comparing runs across seeds (pure functions, no I/O). */
export * from './special';
export * from './distributions';
export * from './descriptive';
export * from './hypothesis';
export * from './group';
