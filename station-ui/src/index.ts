// Pure parts of the station UI, for benchmarks and tests in other workspaces.
export { directionOf, messages } from './shared/i18n/i18n.js';
export { actionForKey, DEFAULT_KEYS, keyMap } from './shared/input/keys.js';
export { PlaybackClock } from './shared/playback/scheduler.js';
