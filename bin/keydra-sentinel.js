#!/usr/bin/env node
// keydra-sentinel: keydra-server in Sentinel mode (src/sentinel/). Built output lives in dist/.
await import('../dist/src/bundle/cli.js');
