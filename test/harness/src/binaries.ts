import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Server binaries live in sbin on Debian, which is not always on a test runner's PATH. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/**
 * Finds an executable on PATH (plus the sbin directories).
 *
 * @param name - the executable, e.g. `mariadbd`
 * @param debianPackage - the package that ships it, named in the error
 * @throws Error naming the binary and the package to install; there is deliberately no skip path
 */
export function findBinary(name: string, debianPackage: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    `test-harness: the binary '${name}' was not found on PATH or in ${EXTRA_DIRS.join(', ')}; ` +
      `install it with 'apt-get install ${debianPackage}'`,
  );
}
