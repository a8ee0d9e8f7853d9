/**
 * Argument arrays for ffmpeg and ffprobe. Pure functions: no I/O, no shell; the table tests
 * in test/args.test.ts pin them down. One module per job under args/; this is their one door.
 */
export * from './args/audio-mix.js';
export * from './args/encoder-args.js';
export * from './args/film-graph.js';
export * from './args/frames.js';
export * from './args/side-outputs.js';
export * from './args/spawn.js';
export * from './args/title-card.js';
