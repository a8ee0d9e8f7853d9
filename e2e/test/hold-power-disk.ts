// Creates a power-cut disk, says where, and waits to be killed: a test run that crashed.
import { createPowerDisk } from '../src/harness/powercut.js';

const disk = await createPowerDisk('crashed');
process.stdout.write(`${JSON.stringify({ mountPoint: disk.mountPoint })}\n`);
setInterval(() => undefined, 60_000);
