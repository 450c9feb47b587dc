import { IDocumentManager } from '@jupyterlab/docmanager';

/**
 * Reject, with the contents service's message, when Lab cannot open
 * `path`; otherwise a missing file opens an empty tab that never loads.
 *
 * Run snapshots are opened through the artifacts drive instead
 * (`../artifacts/drive`), which reads hidden folders too.
 */
export async function checkOpenable(
  docManager: IDocumentManager,
  path: string
): Promise<void> {
  await docManager.services.contents.get(path, { content: false });
}
