/**
 * Synthesis benchmark (a script, not a test: timings never go into tests).
 *
 *   npm run bench -- [--sizes 1,100,1000] [--runs 3]
 *
 * For each size N it measures, each in a fresh Node process (so memory and JIT state do not leak between
 * measurements), the wall time of building the app and rendering its YAML (`App.synthYaml()`):
 * - `construct`: N GoRemoteEnvironments in one Chart;
 * - `floor`: the very same objects, re-emitted as raw cdk8s ApiObjects in one Chart (the cdk8s floor), read from
 *   a file another process wrote before the clock starts;
 * and reports the ratio construct/floor and the peak RSS. Each figure is the median of `--runs` runs, the
 * construct's and the floor's runs interleaved, so that a change of the machine's load hits both alike.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, ApiObject, Chart } from 'cdk8s';
import { GoRemoteEnvironment, GoRemoteEnvironmentProps } from '../src';

/** Wall time, CPU time of the process (less sensitive to a busy machine), peak RSS, YAML bytes. */
type Figure = { ms: number; cpuMs: number; rssMiB: number; bytes: number };

/** The run with the median time (of an odd number of runs; the upper middle one otherwise). */
function median(figures: Figure[]): Figure {
  return [...figures].sort((a, b) => a.ms - b.ms)[Math.floor(figures.length / 2)];
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop';

function props(i: number): GoRemoteEnvironmentProps {
  return {
    authorizedKeys: [KEY],
    git: { url: `https://github.com/acme/service-${i % 50}.git`, ref: 'main' },
    programs: [
      { name: 'delve', command: 'dlv debug --headless --listen=:2345 --api-version=2 --accept-multiclient', port: 2345 },
      { name: 'app', command: 'go run ./cmd/app', port: 8080, environment: { LOG_LEVEL: 'debug' } },
    ],
    env: { GOFLAGS: '-mod=mod' },
  };
}

function buildConstruct(n: number): App {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, 'team', { namespace: 'team' });
  for (let i = 0; i < n; i++) new GoRemoteEnvironment(chart, `dev${i}`, props(i));
  return app;
}


function buildFloor(objects: any[]): App {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, 'team', { namespace: 'team' });
  objects.forEach((o, i) => new ApiObject(chart, `o${i}`, o));
  return app;
}

function measure(mode: string, n: number, file: string): Figure {
  // The floor's objects were computed by another process (the construct's own output): read before the clock.
  const objects = mode === 'floor' ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  if (global.gc) global.gc();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const app = mode === 'floor' ? buildFloor(objects!) : buildConstruct(n);
  const yaml = app.synthYaml();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, rssMiB: process.resourceUsage().maxRSS / 1024, bytes: yaml.length };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

if (process.argv.includes('--child')) {
  const mode = arg('mode', 'construct');
  const n = Number(arg('n', '1'));
  if (mode === 'objects') writeFileSync(arg('file', ''), JSON.stringify(buildConstruct(n).charts[0].toJson()));
  else process.stdout.write(JSON.stringify(measure(mode, n, arg('file', ''))));
} else {
  const sizes = arg('sizes', '1,100,1000').split(',').map(Number);
  const runs = Number(arg('runs', '3'));
  const work = mkdtempSync(join(tmpdir(), 'go-remote-bench-'));
  // Every child alike: a fresh node with --expose-gc (a collection before the clock starts), transpile-only
  // (the parent type-checked the code).
  const child = (mode: string, n: number, file: string): Figure | undefined => {
    const out = execFileSync(process.execPath, ['--expose-gc', '-r', 'ts-node/register/transpile-only', __filename, '--child',
      '--mode', mode, '--n', String(n), '--file', file], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '..', 'test', 'tsconfig.json') },
    });
    return mode === 'objects' ? undefined : JSON.parse(out);
  };
  console.log(`node ${process.version}, ${runs} run(s) per figure, median kept, construct and floor runs interleaved`);
  console.log('Times: wall ms (CPU ms of the process), each the median of its runs. Ratio: wall (CPU).');
  console.log('| environments | objects | construct ms | floor ms | ratio | construct peak RSS MiB | floor peak RSS MiB |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const n of sizes) {
    const file = join(work, `objects-${n}.json`);
    child('objects', n, file);
    const cs: Figure[] = [];
    const fs: Figure[] = [];
    for (let r = 0; r < runs; r++) {
      cs.push(child('construct', n, file)!);
      fs.push(child('floor', n, file)!);
    }
    const c = median(cs);
    const f = median(fs);
    const cpu = (figures: Figure[]) => [...figures].map(x => x.cpuMs).sort((a, b) => a - b)[Math.floor(figures.length / 2)];
    if (c.bytes !== f.bytes) throw new Error(`the floor did not emit the same YAML (${c.bytes} vs ${f.bytes} bytes)`);
    const [cc, fc] = [cpu(cs), cpu(fs)];
    console.log(`| ${n} | ${n * 7} | ${c.ms.toFixed(0)} (${cc.toFixed(0)}) | ${f.ms.toFixed(0)} (${fc.toFixed(0)}) | ${(c.ms / f.ms).toFixed(2)}x (${(cc / fc).toFixed(2)}x) | ${c.rssMiB.toFixed(0)} | ${f.rssMiB.toFixed(0)} |`);
  }
  rmSync(work, { recursive: true, force: true });
}
