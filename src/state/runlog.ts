// A training run as the page keeps it: the configuration, the log the runner's progress events build
// (losses, probe metrics, the newest signatures per method, finished rows), its status, and the files
// it exports (results JSON in the CLI's results.json shape plus the log; Table 1 / Table 2 CSV). Pure
// functions, so the Train view, IndexedDB and the tests all see the same record.
export * from './run-form';
export * from './run-record';
export * from './run-csv';
export * from './run-file';
