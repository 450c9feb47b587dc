import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { Poll } from '@lumino/polling';
import { Widget } from '@lumino/widgets';

import { getExecution, getExecutionLog, IExecution, isActiveJob } from '../api';
import { errorMessage } from '../format';
import { StatusModel } from '../status';
import { canShowLog } from './capabilities';
import { jobStatusLabel } from './format';

/** How often a running job's log is read (ms). */
const FOLLOW_INTERVAL = 1000;

/**
 * The log of one execution, followed while it runs: each tick asks for the
 * bytes after the last offset and appends them. Once the execution has
 * finished and the log has no more bytes, it stops asking. Where the
 * executor has no live log (the row offers none, but a restored layout may
 * reopen one) it waits for the end and then reads the log whole.
 */
export class JobLogView extends Widget {
  constructor(options: JobLogView.IOptions) {
    super();
    this.executionId = options.executionId;
    this._serverSettings = options.serverSettings;
    this._statusModel = options.status;
    this._trans = options.trans;
    this.addClass('jp-mlops-job-log-view');
    const trans = this._trans;
    this.title.label = trans.__('Log %1', this.executionId.slice(0, 8));
    this.title.caption = trans.__('Log of job execution %1', this.executionId);

    this._header = document.createElement('div');
    this._header.className = 'jp-mlops-job-log-header';
    this._status = document.createElement('span');
    this._status.className = 'jp-mlops-job-log-status';
    this._header.appendChild(this._status);
    this._error = document.createElement('div');
    this._error.className = 'jp-mlops-error';
    this._error.setAttribute('role', 'alert');
    this._error.hidden = true;
    this._text = document.createElement('pre');
    this._text.className = 'jp-mlops-job-log-text';
    this.node.append(this._header, this._error, this._text);
    this._setStatus(null);

    this._poll = new Poll({
      name: `jupyter-mlops:job-log:${this.executionId}`,
      factory: () => this._follow(),
      frequency: {
        interval: FOLLOW_INTERVAL,
        backoff: true,
        max: 30 * FOLLOW_INTERVAL
      },
      standby: 'when-hidden'
    });
  }

  readonly executionId: string;

  /** The whole log read so far. */
  get text(): string {
    return this._text.textContent ?? '';
  }

  /** True once the execution finished and its log was read to the end. */
  get complete(): boolean {
    return this._complete;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    super.dispose();
  }

  private async _follow(): Promise<void> {
    try {
      // The status first: bytes written before it finished are then all
      // in the log read after it.
      const execution = await getExecution(
        this.executionId,
        this._serverSettings
      );
      if (!canShowLog(execution, this._statusModel.features)) {
        this._error.hidden = true;
        this._setStatus(execution);
        return;
      }
      let chunk = await getExecutionLog(
        this.executionId,
        this._offset,
        this._serverSettings
      );
      while (chunk.text) {
        this._append(chunk.text);
        this._offset = chunk.next;
        if (isActiveJob(execution.status)) {
          break;
        }
        // A finished log is read to its end at once, chunk by chunk.
        chunk = await getExecutionLog(
          this.executionId,
          this._offset,
          this._serverSettings
        );
      }
      this._error.hidden = true;
      this._setStatus(execution);
      if (!isActiveJob(execution.status)) {
        this._complete = true;
        void this._poll.stop();
      }
    } catch (reason) {
      this._error.textContent = errorMessage(reason);
      this._error.hidden = false;
      throw reason;
    }
  }

  private _append(text: string): void {
    const node = this._text;
    // Keep following the end only if the reader is there.
    const atEnd = node.scrollHeight - node.scrollTop - node.clientHeight < 24;
    node.appendChild(document.createTextNode(text));
    if (atEnd) {
      node.scrollTop = node.scrollHeight;
    }
  }

  private _setStatus(execution: IExecution | null): void {
    const trans = this._trans;
    if (execution === null) {
      this._status.textContent = trans.__('Loading…');
      return;
    }
    this._status.dataset.status = execution.status;
    const label = jobStatusLabel(execution, trans);
    if (!isActiveJob(execution.status)) {
      this._status.textContent = label;
    } else if (canShowLog(execution, this._statusModel.features)) {
      this._status.textContent = trans.__('%1 (following the log)', label);
    } else {
      this._status.textContent = trans.__(
        '%1 (the log shows once it finishes: this executor has no live log)',
        label
      );
    }
  }

  private _serverSettings: ServerConnection.ISettings;
  private _statusModel: StatusModel;
  private _trans: TranslationBundle;
  private _poll: Poll;
  private _offset = 0;
  private _complete = false;
  private _header: HTMLDivElement;
  private _status: HTMLSpanElement;
  private _error: HTMLDivElement;
  private _text: HTMLPreElement;
}

export namespace JobLogView {
  export interface IOptions {
    executionId: string;
    serverSettings: ServerConnection.ISettings;
    /** The sidebar's status: whether the executor's log can be followed. */
    status: StatusModel;
    trans: TranslationBundle;
  }
}
