import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs; pretty only when a person is watching a terminal. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'station-server' },
    redact: {
      paths: [
        'password',
        '*.password',
        'rsyncPassword',
        '*.rsyncPassword',
        'ownerKey',
        '*.ownerKey',
        'env.RSYNC_PASSWORD',
        'headers.cookie',
      ],
      censor: '[redacted]',
    },
  };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY && level !== 'silent') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(options);
}
