#!/usr/bin/env node
// keydra-server: see src/cli.ts. Built output lives in dist/ (npm run build): the bundle of scripts/bundle.mjs.
await import('../dist/src/bundle/cli.js');
