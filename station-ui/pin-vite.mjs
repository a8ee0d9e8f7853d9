// Node resolve hook for dev.ts. @vitejs/plugin-react is hoisted to the repo root,
// where `vite` is the newer major that vitest pulls in; from there the plugin would
// switch to that major's native (rolldown) refresh transform, which this workspace's
// Vite cannot run. Resolving the plugin's `vite` imports from here gives it this
// workspace's Vite, the one that is actually serving.
const here = new URL('./vite.config.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if ((specifier === 'vite' || specifier.startsWith('vite/')) && context.parentURL?.includes('/node_modules/@vitejs/plugin-react/')) {
    return next(specifier, { ...context, parentURL: here });
  }
  return next(specifier, context);
}
