#!/usr/bin/env node
// keydra-server: see src/cli.ts. Built output lives in dist/ (npm run build).
await import('../dist/src/cli.js');
