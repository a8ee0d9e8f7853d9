import { useEffect, useState } from 'react';

/**
 * The newest of the given image URLs that has finished decoding, starting from none.
 * A full-screen image swapped in by `src` is decoded in the frame that shows it,
 * which holds up everything else in that frame; decoded first (`img.decode()` runs
 * off the main thread), the swap costs only the paint. A URL that fails to load is
 * skipped, and the previous image stays.
 */
export function useDecodedSrc(url: string | null): string | null {
  const [shown, setShown] = useState<string | null>(null);
  useEffect(() => {
    if (url === null) {
      setShown(null);
      return;
    }
    let current = true;
    const img = new Image();
    img.src = url;
    img
      .decode()
      .then(() => {
        if (current) setShown(url);
      })
      .catch(() => undefined);
    return () => {
      current = false;
      // Cancels the load when a newer frame replaces this one first.
      img.src = '';
    };
  }, [url]);
  return shown;
}
