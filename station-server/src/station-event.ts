// An event for every client, as the protocol defines it; outside production checked against the contract before it goes out.
import { type StationEvent, type StationEventData, type StationEventName, stationEventSchema } from '@stop-motion/protocol';
import type { Logger } from './log.js';

export function stationEvent<N extends StationEventName>(name: N, data: StationEventData<N>, log: Logger): StationEvent {
  const event = { type: 'event', name, data } as StationEvent;
  if (process.env.NODE_ENV !== 'production') {
    // Development and tests: what goes out must match the contract.
    const check = stationEventSchema.safeParse(event);
    if (!check.success)
      log.error({ event: 'protocol.bad_event', name, issues: check.error.issues.slice(0, 3) }, 'event does not match the protocol');
  }
  return event;
}
