// What importers share: a problem found in one row, and the error for a file that cannot be read at all.

/** A row (or part of one) that an importer skipped, with the 1-based line where its record starts. */
export interface ImportIssue {
  line: number;
  reason: string;
}

/** The file as a whole is unusable (empty, no header, a required column missing, download failed). */
export class ImportError extends Error {
  override name = 'ImportError';
}
