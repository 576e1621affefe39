// A real redis-server for the tests that claim distribution: Debian's package, started on a free
// loopback port with its own temp folder, no persistence, and stopped by the test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

/** Whether redis-server can be started here. */
export const haveRedis = (): boolean => spawnSync(REDIS_SERVER, ['--version']).status === 0;

// .ci/run installs redis-server and sets METALEARN_REQUIRE_REDIS=1, so in CI a missing server fails
// the distributed tests instead of skipping them.
export const NO_REDIS =
  !haveRedis() && process.env.METALEARN_REQUIRE_REDIS !== '1'
    ? `redis-server not found (${REDIS_SERVER}); to run the distributed tests install Debian's package ` +
      `(apt-get install -y redis-server) or set REDIS_SERVER`
    : false;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Start redis-server on a free loopback port; resolves once it accepts connections. */
export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'metalearn-redis-'));
  const port = await freePort();
  const proc = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${REDIS_SERVER} (${e.message}); install Debian's redis-server`));
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${out}`));
    });
  });
  proc.stdout!.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    proc,
    stop: async () => {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
