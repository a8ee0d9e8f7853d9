export * from './frames.js';
export * from './ids.js';
export * from './manifest.js';
export * from './meta.js';
export * from './station.js';
export * from './timezone.js';
export * from './title.js';
export * from './tracks.js';
