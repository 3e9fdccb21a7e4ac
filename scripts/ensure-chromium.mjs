// Finds a Chromium for the end-to-end tests, never downloading a browser build of its own.
// Order: $CHROMIUM_PATH, /usr/bin/chromium, then (as root on Debian) `apt-get install chromium`.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

export function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

function main() {
  if (findChromium()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (isRoot && hasApt) {
    console.log(
      "[ttc-lab] No Chromium found: installing Debian's chromium package (apt-get install -y chromium)...",
    );
    try {
      execSync(
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium',
        {
          stdio: 'inherit',
        },
      );
    } catch {
      // fall through to the message below
    }
    if (findChromium()) return;
  }
  console.error(
    [
      '[ttc-lab] The end-to-end tests need Chromium, and none was found.',
      '  - On Debian/Ubuntu: sudo apt-get install chromium   (gives /usr/bin/chromium)',
      '  - Or point CHROMIUM_PATH at an installed Chromium or Chrome, e.g.',
      '      CHROMIUM_PATH=/path/to/chrome npm test',
      'The tests never download a browser of their own.',
    ].join('\n'),
  );
  process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
