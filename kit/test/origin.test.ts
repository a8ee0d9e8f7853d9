import { describe, expect, it } from 'vitest';
import { hostnameOf, hostsOfOrigins, isAllowedHost, isAllowedOrigin, type OriginRules } from '../src/origin.js';

/** The station: loopback, tools without Host, pages on any loopback port (a designer's dev server). */
const station: OriginRules = {
  host: '127.0.0.1',
  allowedHosts: ['kiosk.example', ...hostsOfOrigins(['https://designer.example'])],
  allowedOrigins: ['https://designer.example'],
  allowNoHost: true,
  trustLoopbackPorts: true,
};
/** The processor: its own origin and the listed ones only; a request without Host is refused. */
const processor: OriginRules = { host: '127.0.0.1', allowedHosts: ['processor.lan'], allowedOrigins: ['https://ops.example'] };

describe('Host check', () => {
  it.each([
    [undefined, true, false],
    ['', true, false],
    ['localhost:8750', true, true],
    ['LOCALHOST', true, true],
    ['localhost.:8750', true, true],
    ['app.localhost:5173', true, true],
    ['a.localhost', true, true],
    ['127.0.0.1:8750', true, true],
    ['127.1.2.3', true, true],
    ['[::1]:8750', true, true],
    ['10.0.0.11:8750', true, true],
    ['192.168.1.20', true, true],
    ['kiosk.example:443', true, false],
    ['designer.example', true, false],
    ['processor.lan:80', false, true],
    ['Processor.LAN', false, true],
    ['evil.example', false, false],
    ['evil.example:8750', false, false],
    ['localhost.evil.example', false, false],
    ['127.0.0.1.evil.example', false, false],
    ['127.0.0.1.nip.io:8750', false, false],
    ['999.1.1.1', false, false],
    ['user@localhost', false, false],
    ['user@127.0.0.1', false, false],
    ['localhost/x', false, false],
    ['127.0.0.1/x', false, false],
    ['localhost:8750:1', false, false],
    ['::1', false, false],
  ])('%j → station %s, processor %s', (host, atStation, atProcessor) => {
    expect(isAllowedHost(host, station)).toBe(atStation);
    expect(isAllowedHost(host, processor)).toBe(atProcessor);
  });

  it('takes the configured host unless it is a wildcard', () => {
    for (const r of [station, processor]) {
      expect(isAllowedHost('station-3.lan:8750', { ...r, host: 'station-3.lan' })).toBe(true);
      expect(isAllowedHost('station-3.lan:8750', { ...r, host: '0.0.0.0' })).toBe(false);
      expect(isAllowedHost('station-3.lan:8750', { ...r, host: '::' })).toBe(false);
    }
  });

  it('reads the name out of a Host header, and the names out of origins', () => {
    expect(hostnameOf('[::1]:8750')).toBe('::1');
    expect(hostnameOf(' Station.LAN.:80 ')).toBe('station.lan');
    expect(hostnameOf('a b')).toBeNull();
    expect(hostsOfOrigins(['https://Designer.Example:5173', 'not a url', 'http://[::1]:1'])).toEqual(['designer.example', '::1']);
  });
});

describe('Origin check', () => {
  it.each([
    [undefined, '127.0.0.1:8760', true, true],
    ['', '127.0.0.1:8760', true, true],
    ['http://127.0.0.1:8760', '127.0.0.1:8760', true, true],
    // Another loopback port: the station's designer, the processor's neighbours.
    ['http://127.0.0.1:5173', '127.0.0.1:8760', true, false],
    ['http://localhost:5173', '127.0.0.1:8760', true, false],
    ['http://[::1]:8750', '127.0.0.1:8760', true, false],
    ['http://processor.lan', 'processor.lan:80', false, true],
    ['http://kiosk.example', 'kiosk.example', true, false],
    ['https://designer.example', '127.0.0.1:8760', true, false],
    ['https://ops.example', '127.0.0.1:8760', false, true],
    ['http://evil.example', '127.0.0.1:8760', false, false],
    // A rebinding page: its Host matches its Origin, and that Host is not ours.
    ['http://evil.example', 'evil.example', false, false],
    ['http://evil.example:8760', 'evil.example:8760', false, false],
    ['http://127.0.0.1.evil.example', '127.0.0.1:8760', false, false],
    ['http://localhost.evil.example:8750', '127.0.0.1:8760', false, false],
    ['null', '127.0.0.1:8760', false, false],
    ['file://', '127.0.0.1:8760', false, false],
  ])('%j with Host %j → station %s, processor %s', (origin, host, atStation, atProcessor) => {
    expect(isAllowedOrigin(origin, host, station)).toBe(atStation);
    expect(isAllowedOrigin(origin, host, processor)).toBe(atProcessor);
  });

  it('the configured host is its own origin on the station, a wildcard bind is not', () => {
    expect(isAllowedOrigin('http://station-3.lan:8750', undefined, { ...station, host: 'station-3.lan' })).toBe(true);
    expect(isAllowedOrigin('http://station-3.lan:8750', undefined, { ...station, host: '0.0.0.0' })).toBe(false);
    // The processor wants its own origin exactly: the same name on another port is another service.
    expect(isAllowedOrigin('http://proc.lan:9000', 'proc.lan:8760', { ...processor, host: 'proc.lan' })).toBe(false);
    expect(isAllowedOrigin('http://proc.lan:8760', 'proc.lan:8760', { ...processor, host: 'proc.lan' })).toBe(true);
  });
});
