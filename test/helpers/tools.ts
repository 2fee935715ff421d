/** Optional tools some tests cross-check against (tshark). */
import { execFileSync } from 'node:child_process';

/**
 * True when `name -v` runs. When it does not and `skipped` names what is left out, says so
 * on the console (with `install`, how to get the tool), so that a green run does not hide a
 * skipped cross-check.
 */
export function hasTool(name: string, skipped?: string, install?: string): boolean {
  try {
    execFileSync(name, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    if (skipped !== undefined) {
      console.warn(`\n*** ${name} is not installed: ${skipped} is SKIPPED${install ? ` (${install})` : ''} ***\n`);
    }
    return false;
  }
}
