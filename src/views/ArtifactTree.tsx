import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretRightIcon,
  fileIcon,
  folderIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { IArtifact, listArtifacts } from '../api';
import { MAX_ARTIFACT_BYTES } from '../artifacts/drive';
import { errorMessage, formatSize } from '../format';

interface ITreeProps {
  runId: string;
  serverSettings: ServerConnection.ISettings;
  /** Open a file (path relative to the run) in Lab; null when Lab cannot. */
  onOpen: ((path: string) => void) | null;
  trans: TranslationBundle;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** A directory's children are fetched on first expand, not up front. */
function ArtifactNode(
  props: ITreeProps & { artifact: IArtifact }
): JSX.Element {
  const { artifact, runId, serverSettings, trans } = props;
  const [open, setOpen] = React.useState(false);
  const [children, setChildren] = React.useState<IArtifact[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);

  const toggle = async () => {
    setOpen(!open);
    if (!open && children === null) {
      try {
        setChildren(await listArtifacts(runId, artifact.path, serverSettings));
      } catch (reason) {
        setError(errorMessage(reason));
      }
    }
  };

  if (!artifact.is_dir) {
    const { onOpen } = props;
    const tooLarge = (artifact.file_size ?? 0) > MAX_ARTIFACT_BYTES;
    const name = (
      <>
        <fileIcon.react tag="span" elementSize="small" />
        <span className="jp-mlops-artifact-name">
          {baseName(artifact.path)}
        </span>
      </>
    );
    return (
      <li className="jp-mlops-artifact" data-path={artifact.path}>
        {onOpen && !tooLarge ? (
          <button
            className="jp-mlops-artifact-file"
            title={trans.__('Open %1 (read-only)', artifact.path)}
            onClick={() => onOpen(artifact.path)}
          >
            {name}
          </button>
        ) : (
          <span
            className="jp-mlops-artifact-file"
            title={
              tooLarge ? trans.__('Too large to open in Lab') : artifact.path
            }
          >
            {name}
          </span>
        )}
        <span className="jp-mlops-muted">{formatSize(artifact.file_size)}</span>
      </li>
    );
  }
  const caret = open ? caretDownIcon : caretRightIcon;
  return (
    <li className="jp-mlops-artifact" data-path={artifact.path}>
      <button
        className="jp-mlops-artifact-dir"
        aria-expanded={open}
        onClick={() => void toggle()}
      >
        <caret.react tag="span" elementSize="small" />
        <folderIcon.react tag="span" elementSize="small" />
        <span className="jp-mlops-artifact-name">
          {baseName(artifact.path)}
        </span>
      </button>
      {open && error !== null && <div className="jp-mlops-error">{error}</div>}
      {open && children === null && error === null && (
        <div className="jp-mlops-muted">{trans.__('Loading…')}</div>
      )}
      {open && children !== null && (
        <ArtifactList {...props} artifacts={children} />
      )}
    </li>
  );
}

function ArtifactList(
  props: ITreeProps & { artifacts: ReadonlyArray<IArtifact> }
): JSX.Element {
  const { artifacts, ...rest } = props;
  return (
    <ul className="jp-mlops-artifacts">
      {artifacts.map(artifact => (
        <ArtifactNode key={artifact.path} {...rest} artifact={artifact} />
      ))}
    </ul>
  );
}

/** The run's artifacts, top level first; directories expand on click. */
export function ArtifactTree(
  props: ITreeProps & { artifacts: ReadonlyArray<IArtifact> }
): JSX.Element {
  if (props.artifacts.length === 0) {
    return (
      <div className="jp-mlops-muted">{props.trans.__('No artifacts')}</div>
    );
  }
  return <ArtifactList {...props} />;
}
