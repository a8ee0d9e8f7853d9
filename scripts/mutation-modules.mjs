// The modules under mutation testing, shared by stryker.config.mjs and the score table
// (scripts/mutation.mjs). `functions` limits a file to its pure top-level parts.
//
// Two groups, each a Stryker run with only its own tests: most protocol mutants are
// "static" (zod schemas built when the module loads), and Stryker runs every test of
// its run for each of them. Tests outside protocol/ load @stop-motion/protocol from the
// workspace, not from Stryker's mutated copy, so they could not kill those anyway.
export const GROUPS = {
  protocol: { tests: ['protocol/test/**/*.test.ts'] },
  services: {
    tests: [
      '{processor,station-server,station-ui,gallery,kit}/test/**/*.mutation.test.ts',
      'processor/test/args.test.ts',
      'station-server/test/camera-args.test.ts',
      'station-server/test/pure.test.ts',
      'kit/test/backoff.test.ts',
      'gallery/test/unit.test.ts',
    ],
  },
};

export const MODULES = [
  { group: 'protocol', name: 'protocol: frames', files: [{ file: 'protocol/src/frames.ts' }] },
  { group: 'protocol', name: 'protocol: ids', files: [{ file: 'protocol/src/ids.ts' }] },
  { group: 'protocol', name: 'protocol: manifest', files: [{ file: 'protocol/src/manifest.ts' }] },
  { group: 'protocol', name: 'protocol: meta', files: [{ file: 'protocol/src/meta.ts' }] },
  { group: 'protocol', name: 'protocol: station', files: [{ file: 'protocol/src/station.ts' }] },
  { group: 'protocol', name: 'protocol: title', files: [{ file: 'protocol/src/title.ts' }] },
  { group: 'protocol', name: 'protocol: timezone', files: [{ file: 'protocol/src/timezone.ts' }] },
  {
    group: 'services',
    name: 'processor: ffmpeg args',
    files: ['audio-mix', 'encoder-args', 'film-graph', 'frames', 'side-outputs', 'title-card'].map((m) => ({
      file: `processor/src/args/${m}.ts`,
    })),
  },
  {
    group: 'services',
    name: 'processor: mpv args and playlist sync',
    files: [{ file: 'processor/src/mpv.ts', functions: ['buildMpvArgs', 'planSync'] }],
  },
  {
    group: 'services',
    name: 'processor: validate (pure parts)',
    files: [{ file: 'processor/src/validate.ts', functions: ['uprightSize', 'dominantSize'] }],
  },
  {
    group: 'services',
    name: 'processor: playlist',
    files: [{ file: 'processor/src/playlist.ts', functions: ['playlistEntrySchema', 'insertNext', 'trimPlaylist'] }],
  },
  { group: 'services', name: 'processor: upload backoff', files: [{ file: 'processor/src/upload.ts', functions: ['backoffMs'] }] },
  { group: 'services', name: 'station: camera args', files: [{ file: 'station-server/src/camera/args.ts' }] },
  { group: 'services', name: 'station: rsync args', files: [{ file: 'station-server/src/delivery/rsync-args.ts' }] },
  {
    group: 'services',
    name: 'station: delivery retry, target redaction',
    files: [{ file: 'station-server/src/delivery/delivery.ts', functions: ['retryDelayMs', 'redactTarget'] }],
  },
  {
    group: 'services',
    name: 'station: gpiomon/gpioset args',
    files: [
      {
        file: 'station-server/src/buttons/gpiomon.ts',
        functions: ['parseGpiodVersion', 'gpiomonArgs', 'parseGpiofind', 'parseGpiomonLine', 'gpiofindArgs'],
      },
      { file: 'station-server/src/buttons/leds.ts', functions: ['ledStates', 'gpiosetArgs'] },
    ],
  },
  { group: 'services', name: 'station: debounce and capture lockout', files: [{ file: 'station-server/src/buttons/debounce.ts' }] },
  { group: 'services', name: 'kit: backoff (reconnects, deliveries, supervisors, uploads)', files: [{ file: 'kit/src/backoff.ts' }] },
  {
    group: 'services',
    name: 'gallery: catalog decisions (pure parts)',
    files: [
      { file: 'gallery/src/catalog/notices.ts', functions: ['noticeHash', 'covers'] },
      { file: 'gallery/src/catalog/view.ts', functions: ['compareFilms', 'buildView'] },
      { file: 'gallery/src/catalog/meta.ts', functions: ['parseMeta'] },
      { file: 'gallery/src/catalog/decide.ts', functions: ['staleness', 'decideSync', 'coldAnswer'] },
      { file: 'gallery/src/catalog/snapshot.ts', functions: ['parseSnapshot'] },
    ],
  },
];
