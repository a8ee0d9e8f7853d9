// EVENT_TIMEZONE: a zone name, or the host's own zone when unset or blank.
import { describe, expect, it } from 'vitest';
import { eventTimeZoneSchema, hostTimeZone, isTimeZone } from '../src/index.js';

describe('event time zone', () => {
  const host = Intl.DateTimeFormat().resolvedOptions().timeZone;

  it('knows zone names and refuses others', () => {
    expect([isTimeZone('Asia/Jerusalem'), isTimeZone('UTC'), isTimeZone('Mars/Olympus_Mons'), isTimeZone('')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
  it("the host's zone", () => {
    expect(hostTimeZone()).toBe(host);
    expect(isTimeZone(hostTimeZone())).toBe(true);
  });
  it('unset or blank means the host zone; a name is trimmed', () => {
    expect(eventTimeZoneSchema.parse(undefined)).toBe(host);
    expect(eventTimeZoneSchema.parse('  ')).toBe(host);
    expect(eventTimeZoneSchema.parse(' Europe/Paris ')).toBe('Europe/Paris');
    expect(eventTimeZoneSchema.parse('Asia/Jerusalem')).toBe('Asia/Jerusalem');
  });
  it('says what a bad name should look like', () => {
    const r = eventTimeZoneSchema.safeParse('Mars/Olympus_Mons');
    expect(r.error?.issues.map((i) => i.message)).toEqual(['must be a time zone name such as Asia/Jerusalem or UTC']);
  });
});
