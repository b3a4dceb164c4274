import { execFileSync } from 'child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/** Where .ci/run (and `npm run setup:test-tools`) installs supervisor 4.2.5, the version Debian bookworm ships. */
export const SUPERVISOR_PATH = join(__dirname, '..', '..', '.cache', 'python');

export interface ParsedProgram {
  name: string;
  command: string;
  directory: string | null;
  environment: { [key: string]: string } | null;
  autostart: boolean;
  autorestart: string;
  startsecs: number;
}

/**
 * Parses a supervisord.conf with supervisor's own ServerOptions (in Python). Fails loudly when supervisor
 * is not installed: install it with `pip install --target .cache/python supervisor==4.2.5`.
 */
export function parseWithSupervisor(conf: string): { programs: ParsedProgram[]; socket: string } {
  if (!existsSync(join(SUPERVISOR_PATH, 'supervisor'))) {
    throw new Error(`supervisor is not installed under ${SUPERVISOR_PATH}; run: pip install --target .cache/python supervisor==4.2.5`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'supervisord-'));
  const file = join(dir, 'supervisord.conf');
  writeFileSync(file, conf);
  const out = execFileSync('python3', [join(__dirname, 'supervisord_parse.py'), file], {
    env: { ...process.env, PYTHONPATH: SUPERVISOR_PATH },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/**
 * Parses many supervisord.conf files in one Python process (a property test parses thousands): for each, what
 * supervisor understood, or `{ error }` when it refused the file.
 */
export function parseManyWithSupervisor(confs: readonly string[]): ({ programs: ParsedProgram[]; socket: string } | { error: string })[] {
  if (confs.length === 0) return [];
  if (!existsSync(join(SUPERVISOR_PATH, 'supervisor'))) {
    throw new Error(`supervisor is not installed under ${SUPERVISOR_PATH}; run: pip install --target .cache/python supervisor==4.2.5`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'supervisord-'));
  const files = confs.map((conf, i) => {
    const file = join(dir, `${i}.conf`);
    writeFileSync(file, conf);
    return file;
  });
  // Two files at least, so that the script always answers with a list.
  const args = files.length === 1 ? [files[0], files[0]] : files;
  const out = execFileSync('python3', [join(__dirname, 'supervisord_parse.py'), ...args], {
    env: { ...process.env, PYTHONPATH: SUPERVISOR_PATH },
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
  });
  return JSON.parse(out).slice(0, files.length);
}
