/**
 * The Deployments commands' ids, apart from the commands so the Models
 * section can execute them without importing the main-area view.
 */
export namespace DeploymentCommandIDs {
  /** Args: `{ name: string }`: open a deployment's page in the main area. */
  export const open = 'jupyter-mlops:open-deployment';
  /**
   * Args: `{ name?: string }`: reveal the Deployments section, with `name`
   * (one just deployed) highlighted.
   */
  export const show = 'jupyter-mlops:show-deployments';
}
