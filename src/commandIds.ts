/**
 * Command ids, apart from the plugin so panels can execute them without
 * importing the plugin module.
 */
export namespace CommandIDs {
  export const open = 'jupyter-mlops:open';
  export const refresh = 'jupyter-mlops:refresh';
  /** Args: `{ runId: string }`. */
  export const openRun = 'jupyter-mlops:open-run';
  /** Args: `{ runIds: string[] }` (2 to 20). */
  export const compareRuns = 'jupyter-mlops:compare-runs';
}

/** The most runs `POST runs/compare` accepts. */
export const MAX_COMPARE = 20;
