import { type Page, test } from '@playwright/test';
import { type Station, startStation } from './station.js';
import { expectFrames, expectScreen, openStation } from './ui.js';

let station: Station;
test.beforeEach(async () => {
  station = await startStation({ BUTTON_GAMEPAD: '2:capture,5:undo', CAPTURE_LOCKOUT_MS: '10000' });
});
test.afterEach(async () => {
  await station.stop();
});

/** A "zero delay" USB encoder as Chromium shows it: a standard-less gamepad with 12 buttons, scripted by the test. */
async function scriptGamepad(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __pad: Gamepad; __polls: number };
    w.__polls = 0;
    w.__pad = {
      id: 'DragonRise Inc.   Generic   USB  Joystick   (Vendor: 0079 Product: 0006)',
      index: 0,
      connected: true,
      mapping: '',
      timestamp: 0,
      axes: [0, 0],
      buttons: Array.from({ length: 12 }, () => ({ pressed: false, touched: false, value: 0 })),
      hapticActuators: [],
      vibrationActuator: null,
    } as unknown as Gamepad;
    Object.defineProperty(navigator, 'getGamepads', {
      configurable: true,
      value: () => {
        w.__polls++;
        return [w.__pad, null, null, null];
      },
    });
  });
}

/** Sets a button and waits until the UI has polled the pad twice since. */
async function setButton(page: Page, index: number, pressed: boolean): Promise<void> {
  const before = await page.evaluate(
    ([i, p]) => {
      const w = window as unknown as { __pad: { buttons: Array<{ pressed: boolean; value: number }> }; __polls: number };
      w.__pad.buttons[i as number] = { pressed: p as boolean, value: p ? 1 : 0 };
      return w.__polls;
    },
    [index, pressed] as const,
  );
  await page.waitForFunction((n) => (window as unknown as { __polls: number }).__polls >= n + 2, before);
}

test('an arcade encoder that is a gamepad: mapped buttons press, with the capture lockout', async ({ page }) => {
  await scriptGamepad(page);
  await openStation(page, station.url);
  await setButton(page, 2, true);
  await expectScreen(page, 'make');
  await expectFrames(page, 1);
  await setButton(page, 2, false);
  // A second capture inside CAPTURE_LOCKOUT_MS is ignored by the station, as for any other source.
  await setButton(page, 2, true);
  await setButton(page, 2, false);
  // Undo on button 5 (no button on the default map) empties the film; had the second capture counted,
  // one frame would remain. Button 2 would be play on the default map: the station's map is in force.
  await setButton(page, 5, true);
  await setButton(page, 5, false);
  await expectFrames(page, 0);
});
