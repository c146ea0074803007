/** The directive table, value parsing/formatting, config text loading and command-line parsing. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Config, ConfigError, findDirective, formatValue, parseMemory, parseValue } from '../../../src/config/config.js';
import { ConfigFileError, loadConfigText, parseCommandLine } from '../../../src/config/load.js';

describe('config values', () => {
  it('parseMemory accepts Redis units', () => {
    assert.equal(parseMemory('100'), 100);
    assert.equal(parseMemory('1k'), 1000);
    assert.equal(parseMemory('1kb'), 1024);
    assert.equal(parseMemory('2MB'), 2 * 1024 * 1024);
    assert.equal(parseMemory('1g'), 1e9);
    assert.ok(Number.isNaN(parseMemory('lots')));
  });

  it('parseValue errors use Redis wording', () => {
    const d = (n: string) => findDirective(n) as NonNullable<ReturnType<typeof findDirective>>;
    assert.throws(() => parseValue(d('appendonly'), ['maybe']), new ConfigError("argument must be 'yes' or 'no'"));
    assert.throws(() => parseValue(d('maxmemory'), ['x']), new ConfigError('argument must be a memory value'));
    assert.throws(() => parseValue(d('port'), ['70000']), new ConfigError('argument must be between 0 and 65535 inclusive'));
    assert.throws(
      () => parseValue(d('appendfsync'), ['x']),
      new ConfigError('argument(s) must be one of the following: everysec, always, no'),
    );
    assert.deepEqual(parseValue(d('save'), ['']), []);
    assert.deepEqual(parseValue(d('save'), ['3600 1 300 100']), ['3600 1', '300 100']);
    assert.throws(() => parseValue(d('save'), ['3600']), ConfigError);
  });

  it('formatValue gives CONFIG GET strings', () => {
    const c = new Config();
    const f = (n: string) => formatValue(findDirective(n) as NonNullable<ReturnType<typeof findDirective>>, c.get(n));
    assert.equal(f('save'), '3600 1 300 100 60 10000');
    assert.equal(f('appendonly'), 'no');
    assert.equal(f('client-output-buffer-limit'), 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60');
    c.set('maxmemory', ['1mb']);
    assert.equal(f('maxmemory'), '1048576');
  });

  it('aliases resolve to the canonical directive', () => {
    assert.equal(findDirective('LUA-TIME-LIMIT')?.name, 'busy-reply-threshold');
    assert.equal(findDirective('hash-max-ziplist-entries')?.name, 'hash-max-listpack-entries');
  });

  it('runtime set refuses immutable directives; onChange listeners run', () => {
    const c = new Config();
    assert.throws(() => c.set('daemonize', ['yes'], true), new ConfigError("can't set immutable config"));
    let seen: unknown = null;
    c.onChange('hz', (v) => {
      seen = v;
    });
    c.set('hz', ['42']);
    assert.equal(seen, 42);
  });
});

describe('config text', () => {
  it('comments, quotes, include and save ""', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keydra-conf-'));
    writeFileSync(join(dir, 'inc.conf'), 'maxmemory 2mb\n');
    const main = join(dir, 'main.conf');
    const c = new Config();
    loadConfigText(c, '# comment\n\nrequirepass "a b\\x41"\ninclude inc.conf\nsave ""\n  hz 33  \n', main);
    assert.equal(c.str('requirepass'), 'a bA');
    assert.equal(c.num('maxmemory'), 2 * 1024 * 1024);
    assert.deepEqual(c.list('save'), []);
    assert.equal(c.num('hz'), 33);
  });

  it('save lines add up; save "" resets; a bare save adds nothing (Redis setConfigSaveOption)', () => {
    const c = new Config();
    loadConfigText(c, 'save 900 1\nsave 300 10\nsave\n', 'x');
    assert.deepEqual(c.list('save'), ['900 1', '300 10']);
    loadConfigText(c, 'save ""\n', 'x');
    assert.deepEqual(c.list('save'), []);
    loadConfigText(c, 'save "100 100"\n', 'x');
    assert.deepEqual(c.list('save'), ['100 100']);
  });

  it('directives outside the table: deprecated, module lines, sentinel, stubs with warnings', () => {
    const c = new Config();
    loadConfigText(
      c,
      'list-max-ziplist-entries 10\nlua-replicate-commands yes\nloadmodule /x.so a b\nmymod.opt 5\nsentinel\ncluster-slave-validity-factor 99\ncluster-slave-no-failover yes\nslave-lazy-flush yes\nactiverehashing yes\n',
      'x',
    );
    assert.equal(c.get('cluster-replica-validity-factor'), 99);
    assert.equal(c.get('cluster-replica-no-failover'), true);
    assert.equal(c.get('replica-lazy-flush'), true);
    assert.equal(c.ignored.length, 2);
    // Stubs set to a value other than their default are named once in the log (the cluster-* ones are implemented).
    assert.deepEqual(c.takeStubWarnings(), ["Directive 'replica-lazy-flush' is accepted but not implemented in Keydra (no effect)"]);
    assert.deepEqual(c.takeStubWarnings(), []);
    for (const [line, why] of [
      ['sentinel monitor m 127.0.0.1 1 1', 'sentinel directive while not in sentinel mode'],
      ['mymod.opt', 'Module config specified without value'],
      ['repl-timeout 0', 'argument must be between 1 and 2147483647 inclusive'],
      ['appendfilename x/y', "appendfilename can't be a path, just a filename"],
      ['maxmemory-clients 101%', 'percentage argument must be less or equal to 100'],
      ['port 1 2', 'wrong number of arguments'],
      ['replicaof 127.0.0.1', 'wrong number of arguments'],
    ]) {
      assert.throws(
        () => loadConfigText(new Config(), `${line}\n`, 'x'),
        (e: Error) => e.message.endsWith(`>>> '${line}'\n${why}`),
        line,
      );
    }
  });

  it('dir is absolute: the first relative one against the working directory, the next ones against it', () => {
    const c = new Config();
    loadConfigText(c, 'dir a\ndir b\n', 'x');
    assert.equal(c.str('dir'), join(process.cwd(), 'a', 'b'));
    assert.equal(c.resolvePath('users.acl'), join(process.cwd(), 'a', 'b', 'users.acl'));
    assert.equal(c.resolvePath('/abs/users.acl'), '/abs/users.acl');
  });

  it('errors name the file, the line and the reason', () => {
    const c = new Config();
    try {
      loadConfigText(c, 'port 1\nfoo bar\n', '/etc/x.conf');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof ConfigFileError);
      assert.equal(e.line, 2);
      assert.match(e.message, /at line 2 of \/etc\/x\.conf\n>>> 'foo bar'\nBad directive or wrong number of arguments/);
    }
    assert.throws(() => loadConfigText(c, 'requirepass "abc\n', 'x'), /Unbalanced quotes/);
  });

  it('command line: config file, --flags with several words, --version/--help', () => {
    const cl = parseCommandLine(['my.conf', '--port', '7777', '--save', '60', '1', '--requirepass', 'a b']);
    assert.equal(cl.configFile, 'my.conf');
    assert.equal(cl.optionsText, 'port "7777" \nsave "60" "1" \nrequirepass "a b" ');
    const c = new Config();
    loadConfigText(c, cl.optionsText, '(command line)');
    assert.equal(c.num('port'), 7777);
    assert.deepEqual(c.list('save'), ['60 1']);
    assert.equal(c.str('requirepass'), 'a b');
    // As redis-server 7.0: a value-less option swallows the next `--word`; `--save` alone is `save ""`.
    assert.equal(parseCommandLine(['--port', '--loglevel', 'verbose']).optionsText, 'port "--loglevel" "verbose" ');
    assert.equal(parseCommandLine(['--save', '--loglevel', 'verbose']).optionsText, 'save ""\nloglevel "verbose" ');
    assert.equal(parseCommandLine(['--loglevel', 'verbose', '--save']).optionsText, 'loglevel "verbose" \nsave ""');
    assert.equal(parseCommandLine(['c.conf', '--maxmemory 700mb', '--port', '1']).optionsText, 'maxmemory 700mb \nport "1" ');
    assert.equal(parseCommandLine(['c.conf', 'loglevel', 'verbose']).optionsText, '"loglevel" "verbose" ');
    assert.equal(parseCommandLine(['--version']).version, true);
    assert.equal(parseCommandLine(['-h']).help, true);
  });
});
