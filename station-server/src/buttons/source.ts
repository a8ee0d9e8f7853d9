import type { ButtonAction, ButtonSourceKind, buttonsStatusSchema } from '@stop-motion/protocol';
import type { z } from 'zod';

export type ButtonsStatus = z.infer<typeof buttonsStatusSchema>;

export interface ButtonEdge {
  action: ButtonAction;
  /** true when the button went down. */
  pressed: boolean;
  /** performance.now() time of the edge. */
  at: number;
}

export interface ButtonHandlers {
  /** A raw, possibly bouncy edge (hardware sources). */
  onEdge(edge: ButtonEdge): void;
  /** A clean press (simulated sources). */
  onPress(action: ButtonAction, source: ButtonSourceKind): void;
  onStatus(status: ButtonsStatus): void;
}

/** Physical or simulated buttons, chosen by BUTTONS. */
export interface ButtonSource {
  readonly kind: string;
  start(handlers: ButtonHandlers): Promise<void>;
  stop(): Promise<void>;
  status(): ButtonsStatus;
}

/** BUTTONS=none: only the UI's keys and the API act. */
export class NoButtons implements ButtonSource {
  readonly kind = 'none';
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status(): ButtonsStatus {
    return { kind: 'none', state: 'off' };
  }
}

/** BUTTONS=sim: presses come from POST /_sim/button/<action> (designers, tests, the demo). */
export class SimButtons implements ButtonSource {
  readonly kind = 'sim';
  private handlers: ButtonHandlers | undefined;
  async start(handlers: ButtonHandlers): Promise<void> {
    this.handlers = handlers;
  }
  async stop(): Promise<void> {
    this.handlers = undefined;
  }
  status(): ButtonsStatus {
    return { kind: 'sim', state: this.handlers ? 'ok' : 'off' };
  }
  press(action: ButtonAction): void {
    this.handlers?.onPress(action, 'sim');
  }
}
