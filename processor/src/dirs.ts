import path from 'node:path';
import type { ProcessorConfig } from './config.js';

/** Where a package is on its way: delivered, taken in and worked on, rendered, or set aside. */
export interface PipelineDirs {
  inbox: string;
  work: string;
  films: string;
  quarantine: string;
}

export function pipelineDirs(config: Pick<ProcessorConfig, 'dataDir' | 'inboxDir'>): PipelineDirs {
  return {
    inbox: config.inboxDir,
    work: path.join(config.dataDir, 'work'),
    films: path.join(config.dataDir, 'films'),
    quarantine: path.join(config.dataDir, 'quarantine'),
  };
}

/** In a job's work dir: the pid of the ffmpeg working on it, so a restart can end an orphan. */
export const TOOL_PID_FILE = 'tool.pid';
/** In a job's work dir: the station whose inbox area the package came from (none: the flat inbox). */
export const FROM_STATION_FILE = 'from-station';

export const workDirOf = (dirs: PipelineDirs, id: string): string => path.join(dirs.work, id);
export const packageDirOf = (dirs: PipelineDirs, id: string): string => path.join(dirs.work, id, 'package');
export const filmDirOf = (dirs: PipelineDirs, id: string): string => path.join(dirs.films, id);
