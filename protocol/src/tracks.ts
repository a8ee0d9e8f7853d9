import { z } from 'zod';
import { idSchema } from './ids.js';

/**
 * The event's soundtracks: an operator folder holding `tracks.json` and the audio
 * files it names, synced to every station and the processing unit by provisioning.
 * A package's manifest may name one track by id (`soundtrack`); the processor mixes
 * it under the film, and an unknown or broken track makes a silent film, never a lost one.
 */
export const TRACKS_FILE = 'tracks.json';

/** Moods a child picks from by picture; `none` is "no music". */
export const trackMoodSchema = z.enum(['happy', 'spooky', 'adventure', 'calm', 'silly']);
export type TrackMood = z.infer<typeof trackMoodSchema>;

/** A file name inside the tracks folder: no directories, no dot files. */
export const trackFileSchema = z
  .string()
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.(ogg|opus|m4a|mp3|wav|flac)$/, 'track file must be a plain audio file name');

export const trackSchema = z.object({
  id: idSchema,
  mood: trackMoodSchema,
  title: z.string().min(1).max(120),
  author: z.string().min(1).max(120),
  licence: z.string().min(1).max(120),
  /** The whole piece, mixed under the film and cut to its length. */
  file: trackFileSchema,
  /** A few seconds played on the station when the child selects the track; defaults to `file`. */
  preview: trackFileSchema.optional(),
});
export type Track = z.infer<typeof trackSchema>;

export const tracksFileSchema = z
  .object({
    version: z.literal(1),
    tracks: z.array(trackSchema).max(16),
  })
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    t.tracks.forEach((track, i) => {
      if (seen.has(track.id)) ctx.addIssue({ code: 'custom', path: ['tracks', i, 'id'], message: `duplicate track id ${track.id}` });
      seen.add(track.id);
    });
  });
export type TracksFile = z.infer<typeof tracksFileSchema>;

/** One entry of the station's `GET /api/tracks`: what the picker shows and plays. */
export const stationTrackSchema = trackSchema.pick({ id: true, mood: true, title: true, author: true, licence: true }).extend({
  /** Path on the station of the short preview audio. */
  previewUrl: z.string().regex(/^\/tracks\/[A-Za-z0-9_-]+\/preview$/),
});
export type StationTrack = z.infer<typeof stationTrackSchema>;
export const apiTracksSchema = z.object({ tracks: z.array(stationTrackSchema) });
export type ApiTracks = z.infer<typeof apiTracksSchema>;
