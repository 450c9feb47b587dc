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
  /** Args: `{ path?: string }` (a notebook; default: the current or selected one). */
  export const createJob = 'jupyter-mlops:create-job';
  /** Show the Jobs section of the sidebar. */
  export const openJobs = 'jupyter-mlops:open-jobs';
  /** Args: `{ executionId: string }`. */
  export const openJobLog = 'jupyter-mlops:open-job-log';
  /** Args: `{ name: string, version?: number }` (a feature view). */
  export const openFeatureView = 'jupyter-mlops:open-feature-view';
  /**
   * Args: `{ name: string }` (a feature view or service). Resolves to an
   * `SnippetResult`: where the training-set code went.
   */
  export const insertFeatureSnippet = 'jupyter-mlops:insert-feature-snippet';
  /**
   * Args: `{ kind: 'run' | 'execution' | 'model_version' | 'deployment' |
   * 'feature_view', id: string }`: the lineage graph around it.
   */
  export const openLineage = 'jupyter-mlops:open-lineage';
  /** Args: `{ searchId: string }`: a hyperparameter search's page. */
  export const openSearch = 'jupyter-mlops:open-search';
}

/** The most runs `POST runs/compare` accepts. */
export const MAX_COMPARE = 20;
