export * from './backoff.js';
export * from './config.js';
export * from './deadline.js';
export * from './files.js';
export * from './log.js';
export * from './mpv-ipc.js';
export * from './s3.js';
export * from './service.js';
