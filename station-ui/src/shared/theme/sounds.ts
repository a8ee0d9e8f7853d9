/**
 * Sounds are synthesised with WebAudio (no files to load, nothing to decode on a Pi).
 * A designer changes the recipes below; `play()` is a no-op while sound is off.
 */
export type SoundName = 'shutter' | 'undo' | 'finish' | 'refused';

interface Tone {
  kind: 'noise' | 'tone';
  freq?: number;
  toFreq?: number;
  ms: number;
  gain: number;
  delayMs?: number;
}

export const soundRecipes: Record<SoundName, Tone[]> = {
  shutter: [
    { kind: 'noise', ms: 45, gain: 0.5 },
    { kind: 'noise', ms: 35, gain: 0.3, delayMs: 70 },
  ],
  undo: [{ kind: 'tone', freq: 660, toFreq: 220, ms: 260, gain: 0.25 }],
  finish: [
    { kind: 'tone', freq: 523, ms: 140, gain: 0.25 },
    { kind: 'tone', freq: 659, ms: 140, gain: 0.25, delayMs: 140 },
    { kind: 'tone', freq: 784, ms: 280, gain: 0.25, delayMs: 280 },
  ],
  refused: [{ kind: 'tone', freq: 180, ms: 220, gain: 0.25 }],
};

let context: AudioContext | null = null;
let noise: AudioBuffer | null = null;

function audio(): AudioContext | null {
  if (typeof AudioContext === 'undefined') return null;
  context ??= new AudioContext();
  if (context.state === 'suspended') void context.resume().catch(() => undefined);
  return context;
}

function noiseBuffer(ctx: AudioContext): AudioBuffer {
  if (noise) return noise;
  noise = ctx.createBuffer(1, Math.floor(ctx.sampleRate * 0.2), ctx.sampleRate);
  const data = noise.getChannelData(0);
  for (let i = 0; i < data.length; i++) data[i] = Math.random() * 2 - 1;
  return noise;
}

export function playSound(name: SoundName, enabled: boolean): void {
  if (!enabled) return;
  const ctx = audio();
  if (!ctx) return;
  for (const tone of soundRecipes[name]) {
    const start = ctx.currentTime + (tone.delayMs ?? 0) / 1000;
    const end = start + tone.ms / 1000;
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(tone.gain, start);
    gain.gain.exponentialRampToValueAtTime(0.001, end);
    gain.connect(ctx.destination);
    let source: AudioScheduledSourceNode;
    if (tone.kind === 'noise') {
      const buffer = ctx.createBufferSource();
      buffer.buffer = noiseBuffer(ctx);
      source = buffer;
    } else {
      const osc = ctx.createOscillator();
      osc.frequency.setValueAtTime(tone.freq ?? 440, start);
      if (tone.toFreq) osc.frequency.exponentialRampToValueAtTime(tone.toFreq, end);
      source = osc;
    }
    source.connect(gain);
    source.start(start);
    source.stop(end);
    source.onended = () => gain.disconnect();
  }
}
