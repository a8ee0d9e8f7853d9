import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs; pretty only on a terminal. Secrets never reach a log line. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'processor' },
    redact: {
      paths: [
        '*.secretAccessKey',
        '*.accessKeyId',
        '*.statusToken',
        '*.controlToken',
        '*.token',
        'headers.authorization',
        'req.headers.authorization',
      ],
      censor: '[redacted]',
    },
  };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(options);
}
