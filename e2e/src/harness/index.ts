export * from './chromium.js';
export * from './mpv.js';
export * from './ports.js';
export * from './process.js';
export * from './redis.js';
export * from './rsyncd.js';
export * from './s3.js';
export * from './tmp.js';
