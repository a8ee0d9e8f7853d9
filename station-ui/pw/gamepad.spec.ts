import { test } from '@playwright/test';
import { scriptGamepad } from './pad.js';
import { type Station, startStation } from './station.js';
import { expectFrames, expectScreen, openStation } from './ui.js';

let station: Station;
test.beforeEach(async () => {
  station = await startStation({ BUTTON_GAMEPAD: '2:capture,5:undo', CAPTURE_LOCKOUT_MS: '10000' });
});
test.afterEach(async () => {
  await station.stop();
});

test('an arcade encoder that is a gamepad: mapped buttons press, with the capture lockout', async ({ page }) => {
  const pad = await scriptGamepad(page);
  await openStation(page, station.url);
  await pad.set(2, true);
  await expectScreen(page, 'make');
  await expectFrames(page, 1);
  await pad.set(2, false);
  // A second capture inside CAPTURE_LOCKOUT_MS is ignored by the station, as for any other source.
  await pad.set(2, true);
  await pad.set(2, false);
  // Undo on button 5 (no button on the default map) empties the film; had the second capture counted,
  // one frame would remain. Button 2 would be play on the default map: the station's map is in force.
  await pad.set(5, true);
  await pad.set(5, false);
  await expectFrames(page, 0);
});
