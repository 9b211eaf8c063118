/** Lists every violation in the .ts files under dir, as `file:line: reason`. */
export function findViolations(dir: string): string[];
