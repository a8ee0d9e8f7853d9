// Loads one service's configuration from the environment it is given, with the
// service's own loadConfig, and prints {"ok":true} or {"ok":false,"errors":[...]}.
// Run with: node --conditions=source --import tsx check-env.mjs <service> [--buttons]
// (--buttons adds the station's chosen buttons and whether the designer panel shows).
const service = process.argv[2];
const modules = {
  'station-server': '@stop-motion/station-server',
  processor: '@stop-motion/processor',
  gallery: '@stop-motion/gallery',
};
const { loadConfig } = await import(modules[service]);
try {
  const result = loadConfig(process.env);
  if (result && result.ok === false) {
    console.log(JSON.stringify({ ok: false, errors: result.errors }));
  } else if (process.argv[3] === '--buttons') {
    console.log(JSON.stringify({ ok: true, buttons: result.config.buttons.kind, designer: result.config.ui.designer }));
  } else {
    console.log(JSON.stringify({ ok: true }));
  }
} catch (err) {
  console.log(JSON.stringify({ ok: false, errors: [String(err?.message ?? err)] }));
}
