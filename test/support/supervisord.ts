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
