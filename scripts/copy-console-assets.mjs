// Part of `npm run build`: tsc emits only JavaScript, and the console serves its stylesheet and
// script from the folder next to its compiled module.
import { cpSync } from 'node:fs';

cpSync('src/console/assets', 'dist/src/console/assets', { recursive: true });
