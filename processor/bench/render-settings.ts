/** The render benchmark's settings, the same for the processor's render and the bare encode. */
import { defaultRenderThreads } from '../src/config.js';

export const FPS = 10;
export const TITLE_SECONDS = 4;
export const PRESET = 'veryfast';
export const CRF = 20;
export const THREADS = Number(process.env.BENCH_THREADS ?? defaultRenderThreads());
export const NICE = 10;
export const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
