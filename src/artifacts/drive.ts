import type { IDocumentWidgetOpener } from '@jupyterlab/docmanager';
import { DocumentRegistry, IDocumentWidget } from '@jupyterlab/docregistry';
import { Contents, ServerConnection } from '@jupyterlab/services';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { ISignal, Signal } from '@lumino/signaling';

import {
  getArtifactContent,
  IArtifact,
  IArtifactContent,
  listArtifacts
} from '../api';
import { makeReadOnly } from './readOnly';

/** The drive's name: artifact paths read `mlops-artifacts:<runId>/<path>`. */
export const ARTIFACTS_DRIVE = 'mlops-artifacts';

/** The server shows no artifact file larger than this (bytes). */
export const MAX_ARTIFACT_BYTES = 20 * 1024 * 1024;

/**
 * The Lab path of a run's artifact, e.g.
 * `artifactPath(runId, 'notebook/train.ipynb')`.
 */
export function artifactPath(runId: string, path: string): string {
  return `${ARTIFACTS_DRIVE}:${runId}/${path.replace(/^\/+/, '')}`;
}

/** Whether a Lab path is on the artifacts drive. */
export function isArtifactPath(path: string): boolean {
  return path.startsWith(`${ARTIFACTS_DRIVE}:`);
}

/**
 * Open a run's artifact in Lab, read-only and without a kernel.
 *
 * Rejects (with the drive's message) when the artifact does not exist.
 */
export async function openArtifact(
  commands: CommandRegistry,
  runId: string,
  path: string
): Promise<IDocumentWidget | undefined> {
  const widget = (await commands.execute('docmanager:open', {
    path: artifactPath(runId, path),
    kernelPreference: { shouldStart: false, autoStartDefault: false }
  })) as IDocumentWidget | undefined;
  if (widget) {
    makeReadOnly(widget);
  }
  return widget;
}

/**
 * Show every document opened from the artifacts drive read-only, however it
 * is opened (the run view, the jobs panel, a restored layout, a command).
 */
export function watchArtifactDocuments(opener: IDocumentWidgetOpener): void {
  opener.opened.connect((sender, widget) => {
    if (isArtifactPath(widget.context.path)) {
      makeReadOnly(widget);
    }
  });
}

const NOTEBOOK_MIMETYPE = 'application/x-ipynb+json';

// For when the document registry does not know an extension.
const IMAGE_MIMETYPES: Record<string, string> = {
  '.bmp': 'image/bmp',
  '.gif': 'image/gif',
  '.jpeg': 'image/jpeg',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.webp': 'image/webp'
};

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function extension(path: string): string {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

function utf8ToBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  // In slices: spreading a large array into fromCharCode overflows the stack.
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

function base64Size(content: string): number {
  const padding = content.endsWith('==') ? 2 : content.endsWith('=') ? 1 : 0;
  return Math.floor((content.length * 3) / 4) - padding;
}

/**
 * A read-only Lab drive over MLflow run artifacts.
 *
 * Paths are `<runId>/<artifact path>` (the contents manager strips the
 * `mlops-artifacts:` prefix): `<runId>` is the run's artifact root, a
 * folder. Files are read through the MLOps server API, so artifacts in a
 * hidden folder (the default `.mlops/` home) or in a remote store open the
 * same way. Nothing is ever written: every write rejects, and documents
 * report `writable: false`, so Lab creates no checkpoint either.
 */
export class ArtifactsDrive implements Contents.IDrive {
  constructor(options: ArtifactsDrive.IOptions) {
    this.serverSettings = options.serverSettings;
    this._docRegistry = options.docRegistry ?? null;
    this._trans = options.trans ?? nullTranslator.load('jupyter_mlops');
  }

  readonly name = ARTIFACTS_DRIVE;

  readonly serverSettings: ServerConnection.ISettings;

  /** Never emits: artifacts do not change once logged. */
  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  /**
   * A file or folder. The content is loaded unless `options.content` is
   * false; `options.type` and `options.format` pick how a file is returned
   * (e.g. a notebook as text, for a text editor).
   */
  async get(
    localPath: string,
    options: Contents.IFetchOptions = {}
  ): Promise<Contents.IModel> {
    const { runId, path } = splitPath(localPath);
    const withContent = options.content !== false;
    if (!runId) {
      // Runs are listed by the MLOps sidebar, not here.
      return this._directory('', withContent ? [] : null);
    }
    if (!path) {
      return this._directory(
        runId,
        withContent ? await this._list(runId, '') : null
      );
    }
    let entry: IArtifact | null = null;
    if (!withContent || !options.type) {
      entry = await this._stat(runId, path);
    }
    const isDir = entry ? entry.is_dir : options.type === 'directory';
    if (isDir) {
      return this._directory(
        `${runId}/${path}`,
        withContent ? await this._list(runId, path) : null
      );
    }
    if (!withContent) {
      return this._entry(runId, entry!);
    }
    const answer = await getArtifactContent(runId, path, this.serverSettings);
    return this._file(`${runId}/${path}`, answer, options);
  }

  /** A `data:` URL of the file, for Lab's Download. */
  async getDownloadUrl(localPath: string): Promise<string> {
    const model = await this.get(localPath, {
      type: 'file',
      format: 'base64',
      content: true
    });
    if (model.type === 'directory') {
      throw new Error(
        this._trans.__(
          '%1 is a folder: download its files one by one',
          model.path
        )
      );
    }
    return `data:${model.mimetype};base64,${model.content}`;
  }

  newUntitled(options?: Contents.ICreateOptions): Promise<Contents.IModel> {
    return this._readOnly();
  }

  delete(localPath: string): Promise<void> {
    return this._readOnly();
  }

  rename(oldLocalPath: string, newLocalPath: string): Promise<Contents.IModel> {
    return this._readOnly();
  }

  save(
    localPath: string,
    options?: Partial<Contents.IModel> & Contents.IContentProvisionOptions
  ): Promise<Contents.IModel> {
    return this._readOnly();
  }

  copy(localPath: string, toLocalDir: string): Promise<Contents.IModel> {
    return this._readOnly();
  }

  createCheckpoint(localPath: string): Promise<Contents.ICheckpointModel> {
    return this._readOnly();
  }

  async listCheckpoints(
    localPath: string
  ): Promise<Contents.ICheckpointModel[]> {
    return [];
  }

  restoreCheckpoint(localPath: string, checkpointID: string): Promise<void> {
    return this._readOnly();
  }

  deleteCheckpoint(localPath: string, checkpointID: string): Promise<void> {
    return this._readOnly();
  }

  private _readOnly(): Promise<never> {
    return Promise.reject(
      new Error(this._trans.__('MLflow artifacts are read-only'))
    );
  }

  private async _list(runId: string, path: string): Promise<Contents.IModel[]> {
    const files = await listArtifacts(runId, path, this.serverSettings);
    return files.map(file => this._entry(runId, file));
  }

  /** The listing entry of one artifact, found in its folder's listing. */
  private async _stat(runId: string, path: string): Promise<IArtifact> {
    const slash = path.lastIndexOf('/');
    const parent = slash < 0 ? '' : path.slice(0, slash);
    const files = await listArtifacts(runId, parent, this.serverSettings);
    const found = files.find(file => file.path.replace(/\/+$/, '') === path);
    if (!found) {
      throw new Error(this._trans.__('Run %1 has no artifact %2', runId, path));
    }
    return found;
  }

  private _directory(
    path: string,
    content: Contents.IModel[] | null
  ): Contents.IModel {
    return {
      name: baseName(path),
      path,
      type: 'directory',
      writable: false,
      created: this._now(),
      last_modified: this._now(),
      mimetype: '',
      content,
      format: content === null ? null : 'json'
    };
  }

  /** A listing entry: no content. */
  private _entry(runId: string, artifact: IArtifact): Contents.IModel {
    const path = `${runId}/${artifact.path}`;
    if (artifact.is_dir) {
      return this._directory(path, null);
    }
    const notebook = extension(path) === '.ipynb';
    return {
      name: baseName(path),
      path,
      type: notebook ? 'notebook' : 'file',
      writable: false,
      created: this._now(),
      last_modified: this._now(),
      mimetype: notebook ? NOTEBOOK_MIMETYPE : this._mimetype(path, 'text'),
      content: null,
      format: null,
      size: artifact.file_size ?? undefined
    };
  }

  private _file(
    path: string,
    answer: IArtifactContent,
    options: Contents.IFetchOptions
  ): Contents.IModel {
    const base = {
      name: baseName(path),
      path,
      writable: false,
      created: this._now(),
      last_modified: this._now()
    };
    const type =
      options.type ?? (answer.format === 'json' ? 'notebook' : 'file');
    if (type === 'notebook') {
      if (answer.format !== 'json') {
        throw new Error(
          this._trans.__('%1 is not a valid notebook', answer.path)
        );
      }
      return {
        ...base,
        type,
        mimetype: NOTEBOOK_MIMETYPE,
        content: answer.content,
        format: 'json'
      };
    }
    const format =
      options.format === 'base64' ||
      (!options.format && answer.format === 'base64')
        ? 'base64'
        : 'text';
    let content: string;
    if (answer.format === 'base64') {
      if (format !== 'base64') {
        throw new Error(this._trans.__('%1 is not UTF-8 text', answer.path));
      }
      content = String(answer.content);
    } else {
      const text =
        answer.format === 'json'
          ? JSON.stringify(answer.content, null, 1) + '\n'
          : String(answer.content);
      content = format === 'base64' ? utf8ToBase64(text) : text;
    }
    return {
      ...base,
      type,
      mimetype: this._mimetype(path, format),
      content,
      format,
      size:
        format === 'base64'
          ? base64Size(content)
          : new TextEncoder().encode(content).length
    };
  }

  private _mimetype(path: string, format: 'text' | 'base64'): string {
    const known = this._docRegistry?.getFileTypesForPath(baseName(path)) ?? [];
    for (const fileType of known) {
      if (fileType.mimeTypes.length > 0) {
        return fileType.mimeTypes[0];
      }
    }
    return (
      IMAGE_MIMETYPES[extension(path)] ??
      (format === 'base64' ? 'application/octet-stream' : 'text/plain')
    );
  }

  /**
   * MLflow keeps no modification time for artifacts: models say when they
   * were read.
   */
  private _now(): string {
    return new Date().toISOString();
  }

  private _docRegistry: DocumentRegistry | null;
  private _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
  private _isDisposed = false;
  private _trans: TranslationBundle;
}

export namespace ArtifactsDrive {
  export interface IOptions {
    serverSettings: ServerConnection.ISettings;
    /** Gives files their mimetype by extension, as for the default drive. */
    docRegistry?: DocumentRegistry;
    trans?: TranslationBundle;
  }
}

/** `<runId>/<path>` -> its parts, without leading or trailing slashes. */
function splitPath(localPath: string): { runId: string; path: string } {
  const clean = localPath.replace(/^\/+|\/+$/g, '');
  const slash = clean.indexOf('/');
  return slash < 0
    ? { runId: clean, path: '' }
    : { runId: clean.slice(0, slash), path: clean.slice(slash + 1) };
}

/**
 * Add the artifacts drive to Lab's contents manager, and make what it opens
 * read-only (when the document opener is available; `openArtifact` does it
 * either way).
 */
export function addArtifactsDrive(
  contents: Contents.IManager,
  options: ArtifactsDrive.IOptions & {
    opener?: IDocumentWidgetOpener | null;
  }
): ArtifactsDrive {
  const drive = new ArtifactsDrive(options);
  contents.addDrive(drive);
  if (options.opener) {
    watchArtifactDocuments(options.opener);
  }
  return drive;
}
